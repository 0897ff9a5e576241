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
 */
import { checkStorable } from "../check-storable.js";
import { copyTask } from "../copy-task.js";
import type { Store, TaskSaveManyParams } from "../store.js";
import type { Task } from "../../task/task.js";
import { foldSegmentsInto } from "./fold.js";
import { listSegments, WalWriter } from "./wal-file.js";

/** Options of `withWriteAheadLog`. */
export interface LoggedStoreOptions {
  /** Log segments are named `<base>.gobq-log.<n>`; for DuckDB, the database file's path. */
  base: string;
  /**
   * Writes what the given segments hold into the store and deletes them. Default: read
   * them here and `taskSaveMany` the latest rows (`foldSegmentsInto`).
   */
  foldSegments?: (paths: string[]) => Promise<void>;
  /** Fold at least this often while rows wait. Default 1,000 ms. */
  foldEveryMs?: number;
  /** Fold as soon as this many rows wait. Default 20,000. */
  foldAtRows?: number;
}

/** Wraps `inner`; folds any log left by a previous process into it first. */
export async function withWriteAheadLog(inner: Store, options: LoggedStoreOptions): Promise<Store> {
  const foldSegments = options.foldSegments ?? ((paths: string[]) => foldSegmentsInto(inner, paths));
  // What a previous process left (it crashed, or was killed) goes into the store first.
  await foldSegments(listSegments(options.base).map((s) => s.path));
  const log = await WalWriter.open(options.base);
  const foldAtRows = options.foldAtRows ?? 20_000;
  const overlay = new Map<string, Task>();
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
    // Copies: the caller's objects go on changing.
    const record = { inserted: params.inserted.map(copyTask), updated: params.updated.map(copyTask) };
    await serial(() => log.append(record));
    for (const t of record.inserted) overlay.set(t.id, t);
    for (const t of record.updated) overlay.set(t.id, t);
    if (overlay.size >= foldAtRows) void fold().catch(() => {});
  }

  /** Moves what waits in the overlay into the store. Concurrent callers share one fold. */
  function fold(): Promise<void> {
    if (failure) return Promise.reject(failure);
    // `.finally` runs in a later turn, so `folding` is never cleared before it is set.
    folding ??= foldAll().finally(() => {
      folding = undefined;
    });
    return folding;
  }

  async function foldAll(): Promise<void> {
    while (overlay.size > 0) {
      // Rotating and taking the snapshot in one step: the finished segments hold exactly it.
      const [segment, batch] = await serial(async () => [await log.rotate(), new Map(overlay)] as const);
      try {
        await foldSegments(listSegments(options.base).filter((s) => s.n <= segment).map((s) => s.path));
      } catch (err) {
        failure = new Error(`folding the write-ahead log into the store failed: ${(err as Error).message}`, { cause: err });
        throw failure;
      }
      for (const [id, t] of batch) if (overlay.get(id) === t) overlay.delete(id);
    }
  }

  const timer = setInterval(() => {
    if (overlay.size > 0 && !folding) void fold().catch(() => {});
  }, options.foldEveryMs ?? 1000);
  timer.unref();

  async function folded<T>(read: () => Promise<T>): Promise<T> {
    await fold();
    return read();
  }

  return {
    taskSaveMany: save,
    async taskGet({ id }) {
      const t = overlay.get(id);
      return t ? copyTask(t) : inner.taskGet({ id });
    },
    async taskGetByIdempotencyKey({ key }) {
      let best: Task | undefined;
      for (const t of overlay.values()) if (t.idempotencyKey === key && (!best || t.id < best.id)) best = t;
      const stored = await inner.taskGetByIdempotencyKey({ key });
      const winner = stored && (!best || stored.id < best.id) ? (overlay.get(stored.id) ?? stored) : best;
      return winner && copyTask(winner);
    },
    taskList: (params) => folded(() => inner.taskList(params)),
    taskListUnfinished: (params) => folded(() => inner.taskListUnfinished(params)),
    taskCountByCategoryAndStatus: () => folded(() => inner.taskCountByCategoryAndStatus()),
    taskDeleteFinishedMany: (params) => folded(() => inner.taskDeleteFinishedMany(params)),
    taskMaxReadySeq: () => folded(() => inner.taskMaxReadySeq()),
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
