/**
 * A store that several gobq servers share (PostgreSQL).
 *
 * With one server, the in-memory scheduler decides every transition and the store only
 * records it. When replicas share the rows, no replica's memory is the truth, so a shared
 * store decides atomically: each method below is one transaction, and the rows it works on
 * are locked for that transaction (`FOR UPDATE`, with `SKIP LOCKED` where another replica
 * may be claiming the same rows). The callbacks (`start`, `change`) are synchronous, pure
 * edits of the task — the transitions of `src/task` — and may throw to abort the
 * transaction: nothing is saved and the error propagates to the caller.
 *
 * What is written: `taskModify` saves the task if `change` raised its `seq` (every
 * transition does) or replaced its `lease` (a heartbeat extends it without an event);
 * `taskLeaseMany` and `taskSweepDue` save every task they hand to their callback.
 *
 * Readiness: a task is ready when it is PENDING and has a `readySeq`. Every write method
 * below (not `taskSaveMany`, which stores tasks as given) gives each task it saves that is
 * PENDING, has no `readySeq`, and whose `runAt` is unset
 * or ≤ `now` the next value of one store-wide counter as `readySeq` (and `readyAt = now`),
 * in the order the tasks are given — so ready order is one order across all replicas.
 *
 * Every committed change is announced to the `listen` callbacks of all replicas,
 * this one's included (PostgreSQL: NOTIFY, delivered on commit).
 */
import type { CategoryHold, CategorySettings } from "../task/category-settings.js";
import type { Task, TaskStatus } from "../task/task.js";
import type { Store } from "./store.js";

/** One committed change, as announced to every replica. */
export interface TaskChange {
  id: string;
  category: string;
  status: TaskStatus;
  seq: number;
  /** Whether the task is now ready (PENDING with a readySeq): long-polls of its category may wake. */
  ready: boolean;
  /**
   * The task as committed, when it fits in the announcement (PostgreSQL: 8,000 bytes);
   * otherwise undefined, and a replica that needs it reads it. Watchers see every change
   * of a task whose announcements carry it.
   */
  task?: Task | undefined;
}

/** Callbacks of `listen`. */
export interface TaskChangeListener {
  /** Changes committed by any replica, in commit order per replica. */
  onChanges(changes: readonly TaskChange[]): void;
  /**
   * Announcements may have been missed (the listening connection dropped and came back):
   * whoever waits for one should look at the store again.
   */
  onGap(): void;
  /** A category's settings changed (any replica, committed): long-polls of the category may wake. */
  onCategory?(settings: CategorySettings): void;
}

/** Ready and scheduled tasks of one category, for GetStats. */
export interface CategoryQueueCounts {
  category: string;
  /** Ready tasks by priority rank, low (0) … critical (3). */
  readyByRank: [number, number, number, number];
  /** The earliest `readyAt` among ready tasks; undefined if none. */
  oldestReadyAt: number | undefined;
  /** PENDING tasks waiting for their runAt, plus RETRY tasks. */
  scheduled: number;
}

/** Parameters of `taskLeaseMany`. */
export interface TaskLeaseManyParams {
  category: string;
  /** Only tasks with one of these names; undefined or empty: any name. */
  names: readonly string[] | undefined;
  /** At most this many tasks (≥ 1). */
  limit: number;
  now: number;
  /** Turns a ready task into a STARTED one under a new lease (`startAttempt`). */
  start: (task: Task) => void;
  /**
   * Called when the category's settings let no task start (see category-settings.ts):
   * paused, at its max running, or out of rate tokens until `retryAt`. The call then
   * resolves with no task.
   */
  onHeld?: (held: { reason: CategoryHold; retryAt: number | undefined }) => void;
}

/** Parameters of `taskModify`. */
export interface TaskModifyParams<T> {
  id: string;
  now: number;
  /** Edits the locked task; its return value is handed back. */
  change: (task: Task) => T;
}

/** One edit of `taskModifyMany`. */
export interface TaskEdit {
  id: string;
  /** Edits the locked task; its return value is handed back. */
  change: (task: Task) => unknown;
}

/**
 * What became of one edit: the task after it and the change's value; undefined if no task
 * has the id; or the error the change threw (the task is then as the edits before left it).
 */
export type TaskEditOutcome = { task: Task; value: unknown } | { error: unknown } | undefined;

/** Parameters of `taskSweepDue`. */
export interface TaskSweepDueParams {
  now: number;
  /** At most this many tasks per call (≥ 1). */
  limit: number;
  /**
   * Called for each due task: STARTED whose lease expired or whose timeout passed
   * (`startedAt + timeoutMs ≤ now`), RETRY whose `nextAttemptAt ≤ now`, PENDING without a
   * readySeq whose runAt ≤ now (or unset). Tasks another replica has locked are skipped.
   */
  change: (task: Task) => void;
}

/** A store several replicas share; see the module comment. */
export interface SharedStore extends Store {
  readonly shared: true;
  /**
   * Inserts new tasks in one transaction. A task whose idempotency key a stored task (or an
   * earlier task of this call) already has is not inserted: that task is returned with
   * `deduplicated: true` — exactly once across replicas racing on the same key.
   * Results are in the order of `tasks`, with readySeq assigned as the module comment says.
   */
  taskEnqueueMany(params: { tasks: readonly Task[]; now: number }): Promise<Array<{ task: Task; deduplicated: boolean }>>;
  /**
   * Claims up to `limit` ready tasks of the category — highest priority first, then lowest
   * readySeq — skipping rows other transactions hold, calls `start` on each and saves them.
   * Returns the started tasks, in that order; two replicas never claim the same task.
   * The category's settings (`categoryUpdate`) hold across replicas: a paused category
   * leases nothing, and its max running and rate limit count every replica's leases.
   */
  taskLeaseMany(params: TaskLeaseManyParams): Promise<Task[]>;
  /** Locks one task, lets `change` edit it, saves it if its seq rose or its lease changed. Undefined if no such task. */
  taskModify<T>(params: TaskModifyParams<T>): Promise<{ task: Task; value: T } | undefined>;
  /**
   * Many `taskModify`s in one transaction, for acks and heartbeats that arrive together:
   * locks every task named (in id order, so concurrent calls cannot deadlock), applies the
   * edits in the order given — two edits of one task see each other — and saves each task
   * whose seq rose or whose lease changed. A change that throws fails only its own edit.
   */
  taskModifyMany(params: { now: number; edits: readonly TaskEdit[] }): Promise<TaskEditOutcome[]>;
  /** Locks due tasks (see `TaskSweepDueParams`), lets `change` edit each, saves them; returns those saved. */
  taskSweepDue(params: TaskSweepDueParams): Promise<Task[]>;
  /** The earliest time a task will become due (as `taskSweepDue` defines it), or undefined if none will. */
  taskNextDueAt(): Promise<number | undefined>;
  /** Ids of the STARTED tasks of `category` leased to `workerId` (for a reclaiming worker: see reclaim.ts). */
  taskIdsLeasedTo(params: { category: string; workerId: string }): Promise<string[]>;
  /** Ready and scheduled counts per category with any; ordered by category. */
  taskQueueCounts(): Promise<CategoryQueueCounts[]>;
  /** Starts delivering every replica's committed changes to `listener` until `close`. Call once. */
  listen(listener: TaskChangeListener): Promise<void>;
}

/** Whether a store is shared by replicas (and so decides leases itself). */
export function isSharedStore(store: Store): store is SharedStore {
  return (store as Partial<SharedStore>).shared === true;
}
