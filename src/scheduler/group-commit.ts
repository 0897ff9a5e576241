/**
 * Group commit: the single writer of the store.
 *
 * Mutations of concurrent RPCs accumulate while a transaction is in flight and are written
 * together by the next one, so a thousand RPCs cost one commit, not a thousand. A task
 * changed twice before its commit is written once, as its latest state. Each caller's
 * promise resolves only after the transaction holding its change committed.
 *
 * If a write fails, the store and memory may disagree, so the writer stops: every pending
 * and later write is refused with UnavailableError, and nothing more is acknowledged.
 * Restarting the server rebuilds memory from what the store holds.
 */
import { UnavailableError } from "../task/errors.js";
import type { Task } from "../task/task.js";
import type { Store } from "../store/store.js";

interface Batch {
  inserted: Map<string, Task>;
  updated: Map<string, Task>;
  waiters: Array<{ resolve: () => void; reject: (err: Error) => void }>;
}

function emptyBatch(): Batch {
  return { inserted: new Map(), updated: new Map(), waiters: [] };
}

/** Options of `GroupCommit`. */
export interface GroupCommitOptions {
  store: Store;
  /** Called once with the cause when a write fails. */
  onFailure: (err: unknown) => void;
}

/** The single writer; see the module comment. */
export class GroupCommit {
  private next = emptyBatch();
  private exclusive: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;
  private failure: UnavailableError | undefined;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Whether writing has stopped after a failure. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Throws UnavailableError if the writer has stopped: call before changing memory. */
  assertWritable(): void {
    if (this.failure) throw this.failure;
  }

  /**
   * Records tasks to write as they are when the batch is taken (so later changes before
   * the commit are included). Resolves once they are committed.
   */
  write(inserted: readonly Task[], updated: readonly Task[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const batch = this.next;
    for (const t of inserted) batch.inserted.set(t.id, t);
    for (const t of updated) {
      if (!batch.inserted.has(t.id)) batch.updated.set(t.id, t);
    }
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    this.kick();
    return done;
  }

  /** Like `write` for changes nobody waits for (progress, promotions); failures surface via onFailure. */
  writeLater(updated: readonly Task[]): void {
    this.write([], updated).catch(() => {});
  }

  /**
   * Runs `fn` between two commits, when no transaction of this writer is in flight:
   * for store operations (purge) that must not race the group commit's rows.
   */
  runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.exclusive.push(() => fn().then(resolve, reject));
      this.kick();
    });
  }

  /**
   * Resolves once every write asked for before this call has been committed (or refused):
   * the store then holds every change made in memory so far. Unlike `flush`, it does not
   * wait for writes made after it. Never rejects: after a failure it resolves at once.
   */
  committed(): Promise<void> {
    if (this.failure || !this.running) return Promise.resolve();
    return this.write([], []).catch(() => {});
  }

  /** Resolves when everything written so far is committed (or the writer failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    let done!: () => void;
    this.running = new Promise<void>((resolve) => (done = resolve));
    void this.loop(done);
  }

  private async loop(done: () => void): Promise<void> {
    // `running` is cleared in the same turn the queue is seen empty, so a write that
    // arrives right after always starts a new loop instead of joining a finished one.
    while (this.next.waiters.length > 0 || this.exclusive.length > 0) {
      for (const op of this.exclusive.splice(0)) await op();
      if (this.next.waiters.length === 0) continue;
      const batch = this.next;
      this.next = emptyBatch();
      if (this.failure) {
        for (const w of batch.waiters) w.reject(this.failure);
        continue;
      }
      // A batch of `committed` waiters alone: the batches before it are committed.
      if (batch.inserted.size === 0 && batch.updated.size === 0) {
        for (const w of batch.waiters) w.resolve();
        continue;
      }
      try {
        // Snapshots: the objects may change while the transaction runs.
        await this.options.store.taskSaveMany({
          inserted: [...batch.inserted.values()].map(snapshot),
          updated: [...batch.updated.values()].map(snapshot),
        });
        for (const w of batch.waiters) w.resolve();
      } catch (err) {
        this.failure = new UnavailableError("the store cannot be written; the server must be restarted");
        this.options.onFailure(err);
        for (const w of batch.waiters) w.reject(this.failure);
      }
    }
    this.running = undefined;
    done();
  }
}

function snapshot(task: Task): Task {
  return { ...task };
}
