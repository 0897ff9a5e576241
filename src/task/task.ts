/**
 * The task domain of gobq — its glossary.
 *
 * - **task**: one unit of work: a `name` (what to run) with `args`/`kwargs`, in a
 *   `category` (which worker pool runs it), at a `priority`.
 * - **category**: an independent queue. Ordering, limits and workers are per category.
 * - **paused**, **max running**, **max starts per second**: an admin's settings of a
 *   category, applied when tasks are leased (category-settings.ts).
 * - **priority**: low < normal < high < critical. A higher priority is always leased first.
 * - **ready**: a PENDING task whose `runAt` has passed. Within one priority, ready tasks
 *   are leased first-in first-out by `readySeq`, a server-wide counter taken at the moment
 *   the task became ready (enqueue, its run_at, the end of its retry backoff, a manual retry).
 * - **scheduled**: a task waiting for its `runAt` (PENDING) or its backoff (RETRY).
 * - **lease**: a worker's claim on a STARTED task, proved by a `token` and valid until
 *   `expiresAt`. Heartbeats extend it; when it expires the attempt counts as failed.
 * - **attempt**: one run of a task by a worker. `attempt` counts attempts started,
 *   `retryCount` the retries used (manual retry does not reset it).
 * - **seq**: the number of the task's latest change; every change is an event.
 * - **final**: SUCCESS, FAILED, CANCELLED. Only a manual retry leaves FAILED.
 *
 * Times are epoch milliseconds; durations are `…Ms` numbers. This module is a leaf: it
 * imports nothing else of gobq.
 */

/** A JSON value as stored in args, kwargs and result. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, as kwargs are. */
export type JsonObject = { [key: string]: JsonValue };

/** The statuses of the original queue. */
export type TaskStatus = "pending" | "started" | "success" | "failed" | "cancelled" | "retry";
/** The priorities of the original queue, lowest first. */
export type TaskPriority = "low" | "normal" | "high" | "critical";

/** Every status, in lifecycle order. */
export const TASK_STATUSES: readonly TaskStatus[] = ["pending", "started", "success", "failed", "cancelled", "retry"];
/** Every priority, lowest first; the index is the rank. */
export const TASK_PRIORITIES: readonly TaskPriority[] = ["low", "normal", "high", "critical"];
/** Statuses a task never leaves on its own (manual retry is the one way out of FAILED). */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(["success", "failed", "cancelled"]);

/** Rank of a priority: low 0 … critical 3. */
export function priorityRank(priority: TaskPriority): number {
  return TASK_PRIORITIES.indexOf(priority);
}

/** Whether a status is final. */
export function isFinal(status: TaskStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** How long to wait between attempts; unset fields take the defaults of `DEFAULT_RETRY_POLICY`. */
export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of the wait to randomise, 0–1. */
  jitter: number;
}

/** The original queue's backoff: min(2^retryCount, 60) seconds. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 0 };

/** Why an attempt failed. */
export interface TaskError {
  message: string;
  /** The kind of error, e.g. an exception class; "" if unknown. */
  type: string;
}

/** A worker's claim on a STARTED task. */
export interface Lease {
  workerId: string;
  token: string;
  expiresAt: number;
  /** The duration the task was leased with: a heartbeat extends by this much by default. */
  durationMs: number;
}

/** A task as the server holds and stores it. */
export interface Task {
  id: string;
  name: string;
  category: string;
  priority: TaskPriority;
  status: TaskStatus;
  args: JsonValue[];
  kwargs: JsonObject;
  result: JsonValue | undefined;
  error: TaskError | undefined;
  maxRetries: number;
  retryCount: number;
  attempt: number;
  /** Undefined: `DEFAULT_RETRY_POLICY`. */
  retryPolicy: RetryPolicy | undefined;
  progress: number;
  progressMessage: string;
  createdAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  runAt: number | undefined;
  nextAttemptAt: number | undefined;
  timeoutMs: number | undefined;
  idempotencyKey: string | undefined;
  cancelRequested: boolean;
  lease: Lease | undefined;
  seq: number;
  /** FIFO position within its priority while ready; undefined while scheduled or not PENDING. */
  readySeq: number | undefined;
  /** When the task last became ready; undefined if it never was. */
  readyAt: number | undefined;
}

/** Seconds the current or last attempt has run, as the original reported it. */
export function elapsedSeconds(task: Task, now: number): number {
  if (task.startedAt === undefined) return 0;
  const end = task.completedAt ?? (task.status === "started" ? now : task.startedAt);
  return Math.max(0, end - task.startedAt) / 1000;
}
