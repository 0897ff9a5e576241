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
 * Each task is serialised once, when it is saved: its JSON goes into the log line and stays
 * in the overlay as the task's latest state until folded. So the overlay holds no object a
 * caller could change, costs one compact string per waiting task, and a read parses a
 * fresh copy.
 */
import { checkStorable } from "../check-storable.js";
import type { Store, TaskSaveManyParams } from "../store.js";
import { UnavailableError } from "../../task/errors.js";
import type { Task } from "../../task/task.js";
import { type FoldRequest, foldSegmentsInto } from "./fold.js";
import { listSegments, recordLine, taskFromJson, taskJson, WalWriter } from "./wal-file.js";

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
}

/** Wraps `inner`; folds any log left by a previous process into it first. */
export async function withWriteAheadLog(inner: Store, options: LoggedStoreOptions): Promise<Store> {
  const foldSegments = options.foldSegments ?? ((request: FoldRequest) => foldSegmentsInto(inner, request));
  // What a previous process left (it crashed, or was killed) goes into the store first.
  await foldSegments({ paths: listSegments(options.base).map((s) => s.path), fresh: false });
  const log = await WalWriter.open(options.base);
  const foldAtRows = options.foldAtRows ?? 20_000;
  // Task id → its latest JSON, until folded; and the ids waiting there that have an idempotency key.
  const overlay = new Map<string, string>();
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
    await serial(() => log.append(recordLine(inserted, updated)));
    remember(params.inserted, inserted);
    remember(params.updated, updated);
    if (overlay.size >= foldAtRows && !folding) void foldOnce().catch(() => {});
  }

  function remember(tasks: readonly Task[], json: readonly string[]): void {
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      overlay.set(t.id, json[i]!);
      if (t.idempotencyKey !== undefined) keyed.add(t.idempotencyKey, t.id);
    }
  }

  function fromOverlay(id: string): Task | undefined {
    const json = overlay.get(id);
    return json === undefined ? undefined : taskFromJson(JSON.parse(json) as Task);
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
    if (overlay.size === 0) return;
    // Rotating and taking the snapshot in one step: the finished segments hold exactly it.
    const [segment, batch] = await serial(async () => [await log.rotate(), new Map(overlay)] as const);
    try {
      await foldSegments({ paths: listSegments(options.base).filter((s) => s.n <= segment).map((s) => s.path), fresh: true });
    } catch (err) {
      // Callers get UNAVAILABLE, as for a failed write; the cause stays attached for the log.
      failure = new UnavailableError("the store cannot be written; the server must be restarted", {
        cause: new Error(`folding the write-ahead log into the store failed: ${(err as Error).message}`, { cause: err }),
      });
      throw failure;
    }
    for (const [id, json] of batch) {
      if (overlay.get(id) !== json) continue;
      overlay.delete(id);
      keyed.remove(id);
    }
  }

  const timer = setInterval(() => {
    if (overlay.size > 0 && !folding) void foldOnce().catch(() => {});
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
