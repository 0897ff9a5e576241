/**
 * A write-ahead log in front of a store whose commits are slow.
 *
 * A DuckDB commit costs 5–10 ms whatever its size, which would cap gobq at a hundred or so
 * acknowledged changes a second per waiting client. Appending a line to a log and syncing
 * it costs a fraction of a millisecond. So `taskSaveMany` is durable once its record is
 * synced to the log; the rows wait in memory (the overlay) and are folded into the store in
 * large transactions — every `foldEveryMs`, or sooner when `foldAtRows` are waiting. A task
 * changed many times between folds is written once. Log segments are deleted only after
 * the store committed what they hold; at open, leftover segments are folded first.
 *
 * Reads see the overlay: `taskGet` looks there first; reads that scan (lists, counts,
 * purges) fold first, then ask the store.
 *
 * Each task is serialised once, when it is saved: its JSON goes into the log line, and the
 * overlay keeps only where that JSON lies in the log (a number per task), reading it back
 * from the segment when asked. So the overlay holds no object a caller could change, costs
 * ~100 bytes per waiting task however large the task, and a read parses a fresh copy. When
 * a producer outruns the folds (a fold does ~50,000 rows a second; bulk enqueues come
 * faster), hundreds of thousands of rows wait: as JSON strings they took ~450 bytes each.
 *
 * A segment is closed once it holds `segmentRows` rows, and each is folded in a
 * transaction of its own, so that a fold's memory — in the store thread and in DuckDB —
 * stays bounded however far the folds fell behind (measured in DuckDB alone: one commit of
 * 100,000 rows peaked at 540 MB RSS, commits of 20,000 at 390 MB).
 */
import { checkStorable } from "../check-storable.js";
import type { Store, TaskSaveManyParams } from "../store.js";
import { UnavailableError } from "../../task/errors.js";
import type { Task } from "../../task/task.js";
import { type FoldRequest, foldSegmentsInto } from "./fold.js";
import { type LinePlace, listSegments, recordLineWithSpans, taskFromJson, taskJson, WalWriter } from "./wal-file.js";

/** Options of `withWriteAheadLog`. */
export interface LoggedStoreOptions {
  /** Log segments are named `<base>.gobq-log.<n>`; for DuckDB, the database file's path. */
  base: string;
  /**
   * Writes what the given segments hold into the store and deletes them. Default: read
   * them here and `taskSaveMany` the latest rows (`foldSegmentsInto`).
   */
  foldSegments?: (request: FoldRequest) => Promise<void>;
  /** Fold at least this often while rows wait. Default 1,000 ms. */
  foldEveryMs?: number;
  /** Fold as soon as this many rows wait. Default 20,000. */
  foldAtRows?: number;
  /** A segment takes no more records once it holds this many rows: one fold's size. Default 10,000. */
  segmentRows?: number;
}

// A task's place in its segment as one number: offset × 2^21 + length, exact below 2^53.
// Lines past these bounds (never, in practice) keep their JSON instead.
const LENGTH_BITS = 2 ** 21;
const MAX_OFFSET = 2 ** 31;

/** Where a waiting task's latest JSON is: a packed place in its segment, or the JSON itself. */
type Saved = number | string;

/** Wraps `inner`; folds any log left by a previous process into it first. */
export async function withWriteAheadLog(inner: Store, options: LoggedStoreOptions): Promise<Store> {
  const foldSegments = options.foldSegments ?? ((request: FoldRequest) => foldSegmentsInto(inner, request));
  // What a previous process left (it crashed, or was killed) goes into the store first, a
  // segment at a time, as later folds do.
  for (const s of listSegments(options.base)) await foldSegments({ paths: [s.path], fresh: false });
  const log = await WalWriter.open(options.base);
  const foldAtRows = options.foldAtRows ?? 20_000;
  const segmentRows = options.segmentRows ?? 10_000;
  // Per segment not yet folded: task id → where its JSON is (the latest is in the newest
  // segment that has the id); the rows those maps hold; rows in the current segment; the
  // ids waiting that have an idempotency key.
  const overlay = new Map<number, Map<string, Saved>>();
  let waiting = 0;
  let rowsInSegment = 0;
  const keyed = new KeyIndex();
  // Appends, rotations and closing run one at a time, in order.
  let chain: Promise<unknown> = Promise.resolve();
  let folding: Promise<void> | undefined;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  }

  async function save(params: TaskSaveManyParams): Promise<void> {
    if (failure) throw failure;
    for (const t of params.inserted) checkStorable(t);
    for (const t of params.updated) checkStorable(t);
    // Serialised now: the caller's objects go on changing.
    const inserted = params.inserted.map(taskJson);
    const updated = params.updated.map(taskJson);
    const { line, spans } = recordLineWithSpans(inserted, updated);
    await serial(async () => {
      const place = await log.append(line);
      remember(place, [...params.inserted, ...params.updated], [...inserted, ...updated], spans);
      rowsInSegment += inserted.length + updated.length;
      if (rowsInSegment >= segmentRows) {
        rowsInSegment = 0;
        await log.rotate();
      }
    });
    if (waiting >= foldAtRows && !folding) void foldOnce().catch(() => {});
  }

  function remember(place: LinePlace, tasks: readonly Task[], json: readonly string[], spans: readonly number[]): void {
    let saved = overlay.get(place.segment);
    if (saved === undefined) overlay.set(place.segment, (saved = new Map()));
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      const offset = place.offset + spans[2 * i]!;
      const length = spans[2 * i + 1]!;
      if (!saved.has(t.id)) waiting++;
      saved.set(t.id, offset < MAX_OFFSET && length < LENGTH_BITS ? offset * LENGTH_BITS + length : json[i]!);
      if (t.idempotencyKey !== undefined) keyed.add(t.idempotencyKey, t.id);
    }
  }

  function fromOverlay(id: string): Task | undefined {
    let newest: [number, Saved] | undefined;
    for (const [segment, saved] of overlay) {
      const at = saved.get(id);
      if (at !== undefined && (newest === undefined || segment > newest[0])) newest = [segment, at];
    }
    if (newest === undefined) return undefined;
    const [segment, at] = newest;
    const json = typeof at === "string" ? at : log.read(segment, Math.floor(at / LENGTH_BITS), at % LENGTH_BITS);
    return taskFromJson(JSON.parse(json) as Task);
  }

  /** After segment `n` is folded: forgets what it held (an id also in a later segment stays there). */
  function forget(n: number): void {
    const saved = overlay.get(n);
    overlay.delete(n);
    log.release(n);
    if (saved === undefined) return;
    waiting -= saved.size;
    for (const id of saved.keys()) {
      if (!keyed.has(id)) continue;
      let later = false;
      for (const other of overlay.values()) if (other.has(id)) later = true;
      if (!later) keyed.remove(id);
    }
  }

  /**
   * Moves into the store everything saved before this call: after a pass already under way
   * (it may have begun before some of those saves), one more. Concurrent callers share
   * passes. One pass per call, not one until the overlay is empty: under a steady stream
   * of writes that would fold without pause, a few rows at a time, each fold paying a
   * DuckDB commit (measured at 200-400 rows a second: 20 folds a second of about 10 rows).
   */
  async function fold(): Promise<void> {
    if (folding) await folding.catch(() => {});
    return foldOnce();
  }

  /** Starts a pass unless one runs; resolves when the running pass ends. */
  function foldOnce(): Promise<void> {
    if (failure) return Promise.reject(failure);
    // `.finally` runs in a later turn, so `folding` is never cleared before it is set.
    folding ??= foldPass().finally(() => {
      folding = undefined;
    });
    return folding;
  }

  async function foldPass(): Promise<void> {
    if (waiting === 0) return;
    // What was saved before this pass is in the segments up to the one closed here.
    const last = await serial(async () => {
      if (log.currentBytes === 0) return log.current - 1;
      rowsInSegment = 0;
      return log.rotate();
    });
    for (const s of listSegments(options.base)) {
      if (s.n > last) break;
      try {
        await foldSegments({ paths: [s.path], fresh: true });
      } catch (err) {
        // Callers get UNAVAILABLE, as for a failed write; the cause stays attached for the log.
        failure = new UnavailableError("the store cannot be written; the server must be restarted", {
          cause: new Error(`folding the write-ahead log into the store failed: ${(err as Error).message}`, { cause: err }),
        });
        throw failure;
      }
      forget(s.n);
    }
  }

  const timer = setInterval(() => {
    if (waiting > 0 && !folding) void foldOnce().catch(() => {});
  }, options.foldEveryMs ?? 1000);
  timer.unref();

  async function folded<T>(read: () => Promise<T>): Promise<T> {
    await fold();
    return read();
  }

  return {
    taskSaveMany: save,
    async taskGet({ id }) {
      return fromOverlay(id) ?? inner.taskGet({ id });
    },
    async taskGetByIdempotencyKey({ key }) {
      const best = keyed.oldest(key);
      const stored = await inner.taskGetByIdempotencyKey({ key });
      if (stored && (best === undefined || stored.id < best)) return fromOverlay(stored.id) ?? stored;
      return best === undefined ? undefined : fromOverlay(best);
    },
    taskList: (params) => folded(() => inner.taskList(params)),
    taskListUnfinished: (params) => folded(() => inner.taskListUnfinished(params)),
    taskCountByCategoryAndStatus: () => folded(() => inner.taskCountByCategoryAndStatus()),
    taskDeleteFinishedMany: (params) => folded(() => inner.taskDeleteFinishedMany(params)),
    taskMaxReadySeq: () => folded(() => inner.taskMaxReadySeq()),
    // Settings change rarely and live apart from the tasks: straight to the store, no log.
    categoryList: () => inner.categoryList(),
    categoryUpdate: (update) => inner.categoryUpdate(update),
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await chain;
        try {
          if (!failure) await fold();
        } finally {
          await log.close();
          if (!failure) log.dropThrough(Number.MAX_SAFE_INTEGER);
          await inner.close();
        }
      })();
      return closing;
    },
  };
}

/** The ids of overlay tasks that have an idempotency key, by key (a task's key never changes). */
class KeyIndex {
  private readonly ids = new Map<string, Set<string>>();
  private readonly keys = new Map<string, string>();

  add(key: string, id: string): void {
    this.keys.set(id, key);
    let set = this.ids.get(key);
    if (set === undefined) this.ids.set(key, (set = new Set()));
    set.add(id);
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  remove(id: string): void {
    const key = this.keys.get(id);
    if (key === undefined) return;
    this.keys.delete(id);
    const set = this.ids.get(key)!;
    set.delete(id);
    if (set.size === 0) this.ids.delete(key);
  }

  /** The smallest (oldest) id with this key. */
  oldest(key: string): string | undefined {
    let best: string | undefined;
    for (const id of this.ids.get(key) ?? []) if (best === undefined || id < best) best = id;
    return best;
  }
}
