/**
 * The store driver interface: the durable record of every task.
 *
 * The scheduler decides what happens (it holds the queues in memory); a driver only
 * records it. Methods are named `<entity><Verb>[Many]` and take one params object.
 * Every driver must pass the conformance suite in `storetest/`.
 *
 * Nothing outside `src/store/<driver>/` writes SQL.
 */
import type { CategorySettings, CategoryUpdate } from "../task/category-settings.js";
import type { Task, TaskStatus } from "../task/task.js";

/**
 * One group commit: every row in it is written in one transaction, or none is.
 * Ids in `inserted` are new — the scheduler makes them (UUIDv7) — and drivers need not
 * check that (looking every id up would cost a read per commit); a task in both lists ends
 * as its updated version; the same id twice in `updated` keeps the last.
 * Times, durations and seq numbers must be whole milliseconds / safe integers and counts
 * 32-bit integers, or the whole call is refused.
 */
export interface TaskSaveManyParams {
  /** New tasks; their ids are not stored yet. */
  inserted: readonly Task[];
  /** Tasks whose stored row is replaced by this one, whole. A row that is missing is inserted. */
  updated: readonly Task[];
}

/** Filters of `taskList`. Unset fields do not filter. */
export interface TaskListParams {
  category?: string | undefined;
  status?: TaskStatus | undefined;
  name?: string | undefined;
  /** Only tasks whose id sorts before this one (the previous page's last id). */
  beforeId?: string | undefined;
  /** At most this many, newest (highest id) first. */
  limit: number;
}

/** One page of unfinished tasks, in id order, for rebuilding the queues at start. */
export interface TaskListUnfinishedParams {
  /** Only tasks whose id sorts after this one. */
  afterId?: string | undefined;
  limit: number;
}

/** How many stored tasks have one category and status. */
export interface TaskCount {
  category: string;
  status: TaskStatus;
  count: number;
}

/** Which finished tasks to delete. */
export interface TaskDeleteFinishedParams {
  /** Delete SUCCESS, FAILED and CANCELLED tasks with `completedAt` before this time. */
  completedBefore: number;
}

/** A store driver. Implementations: duckdb/ (default), memory/ (tests, no durability). */
export interface Store {
  /** Writes a group commit atomically: after it resolves, every row in it is durable. */
  taskSaveMany(params: TaskSaveManyParams): Promise<void>;
  /** The task with this id, or undefined. */
  taskGet(params: { id: string }): Promise<Task | undefined>;
  /** The oldest task with this idempotency key, or undefined. */
  taskGetByIdempotencyKey(params: { key: string }): Promise<Task | undefined>;
  /** Tasks matching the filters, newest (highest id) first. */
  taskList(params: TaskListParams): Promise<Task[]>;
  /** Tasks in PENDING, STARTED or RETRY, by ascending id. */
  taskListUnfinished(params: TaskListUnfinishedParams): Promise<Task[]>;
  /** Exact counts of stored tasks by category and status (zero counts omitted), ordered by category then status. */
  taskCountByCategoryAndStatus(): Promise<TaskCount[]>;
  /** Deletes finished tasks completed before the cut-off; returns what was deleted, as counts. */
  taskDeleteFinishedMany(params: TaskDeleteFinishedParams): Promise<TaskCount[]>;
  /** The highest `readySeq` stored, or 0: the scheduler continues its FIFO counter from it. */
  taskMaxReadySeq(): Promise<number>;
  /**
   * The settings of every category that has any (paused, or a limit), ordered by category.
   * A category not listed has the default settings.
   */
  categoryList(): Promise<CategorySettings[]>;
  /**
   * Changes one category's settings — the fields `update` sets, atomically with respect to
   * other updates — and returns them as stored. Durable when it resolves. Settings that end
   * as the default are not kept (`categoryList` no longer lists the category).
   */
  categoryUpdate(update: CategoryUpdate): Promise<CategorySettings>;
  /**
   * Waits for writes already asked for, flushes and releases the store (for DuckDB: closes
   * the file and its lock). Idempotent; every later call rejects. A `limit` anywhere must
   * be a non-negative integer (RangeError otherwise).
   */
  close(): Promise<void>;
}

/** Thrown by a driver when its store cannot be opened (locked, unwritable): the message is one clear line. */
export class StoreOpenError extends Error {}
