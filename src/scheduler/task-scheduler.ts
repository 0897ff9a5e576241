/**
 * What the server asks of a scheduler. Two implement it: `Scheduler` (one server: the
 * queues in memory, the store a durable record) and `SharedScheduler` (replicas sharing a
 * store that decides leases itself). Routes, the CLI and the embedded mode see only this.
 */
import type { CategorySettings, CategoryUpdate } from "../task/category-settings.js";
import type { Task } from "../task/task.js";
import type { EnqueueInput } from "../task/validate.js";
import type { Subscription, TaskEvent } from "./event-hub.js";
import type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput } from "./inputs.js";
import type { LeaseRequest } from "./lease-waiters.js";
import type { ServerLoad } from "./overload.js";
import type { Stats } from "./stats.js";

/** The operations behind every RPC; see the module comment. */
export interface TaskScheduler {
  /** Stores one task (or returns the one with the same idempotency key); it is leasable once committed. */
  enqueue(input: EnqueueInput): Promise<{ task: Task; deduplicated: boolean }>;
  /** All or nothing: every input is validated before any is stored. */
  enqueueMany(inputs: readonly EnqueueInput[]): Promise<Array<{ task: Task; deduplicated: boolean }>>;
  get(id: string): Promise<Task>;
  list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string }>;
  cancel(id: string): Promise<{ task: Task; cancelled: boolean }>;
  retry(id: string): Promise<{ task: Task; retried: boolean }>;
  /** Exact counts, overall and per category. */
  stats(): Stats | Promise<Stats>;
  /** What callers hold open now on this server. */
  load(): ServerLoad;
  /** The task as it is now (unless unchanged since `afterSeq`), then each change, ending after a final status. */
  watch(id: string, afterSeq?: number, signal?: AbortSignal): AsyncGenerator<TaskEvent>;
  /** Every committed change in one category (or all). */
  watchAll(category: string | undefined, signal?: AbortSignal): Subscription;
  /** Deletes finished tasks that completed more than `olderThanMs` ago; returns how many. */
  purge(olderThanMs: number): Promise<number>;
  /**
   * Pauses or resumes a category or changes its limits — the fields `update` sets — and
   * returns its settings. Leases obey them once this resolves; they survive restarts.
   */
  updateCategory(update: CategoryUpdate): Promise<CategorySettings>;
  /** Leases up to `maxTasks` ready tasks, waiting up to `waitMs` for one. */
  lease(req: LeaseRequest, signal?: AbortSignal): Promise<LeasedTask[]>;
  heartbeat(input: HeartbeatInput): Promise<HeartbeatResult>;
  complete(input: AckInput): Promise<Task>;
  fail(input: FailInput): Promise<Task>;
  /** Whether `drain` was called. */
  readonly draining: boolean;
  /** Refuses new leases and changes, answers waiting long-polls and ends watch streams. */
  drain(): void;
  /** Resolves when every change made so far is committed. */
  settled(): Promise<void>;
  /** Drains, commits what was accepted, and closes the store. Idempotent. */
  stop(): Promise<void>;
}
