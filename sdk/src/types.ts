/**
 * The SDK's view of gobq: plain TypeScript values, never proto numbers. Statuses and
 * priorities are the strings of the queue gobq descends from.
 */

/** A JSON value, as args, kwargs and results are. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, as kwargs are. */
export type JsonObject = { [key: string]: JsonValue };

/** Where a task is in its lifecycle. success, failed and cancelled are final. */
export type TaskStatus = "pending" | "started" | "success" | "failed" | "cancelled" | "retry";
/** How urgent a task is; a higher priority is always leased first within its category. */
export type TaskPriority = "low" | "normal" | "high" | "critical";

/** Statuses a task does not leave by itself. */
export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(["success", "failed", "cancelled"]);

/**
 * What one task name takes and returns, for typed clients and workers:
 * `new TaskClient<{ send_email: { args: [string]; kwargs: { subject: string }; result: { sent: boolean } } }>(…)`.
 */
export interface TaskSignature {
  args?: JsonValue[];
  kwargs?: JsonObject;
  result?: JsonValue;
}

/** The default: any name, any JSON. */
export type AnyTasks = Record<string, TaskSignature>;

/** Args of a signature (a JSON list if not declared). */
export type ArgsOf<S extends TaskSignature> = S["args"] extends JsonValue[] ? S["args"] : JsonValue[];
/** Kwargs of a signature (a JSON object if not declared). */
export type KwargsOf<S extends TaskSignature> = S["kwargs"] extends JsonObject ? S["kwargs"] : JsonObject;
/** Result of a signature (any JSON if not declared). */
export type ResultOf<S extends TaskSignature> = S["result"] extends JsonValue ? S["result"] : JsonValue;

/** How long to wait between attempts: min(initialMs × multiplier^n, maxMs) ± jitter. */
export interface RetryPolicy {
  /** Default 1000. */
  initialMs?: number;
  /** Default 60000. */
  maxMs?: number;
  /** Default 2. */
  multiplier?: number;
  /** 0–1. Default 0. */
  jitter?: number;
}

/** Why an attempt failed. */
export interface TaskFailure {
  message: string;
  /** The error's class name, or "" if unknown. */
  type: string;
}

/** A task as the server reports it. */
export interface Task<S extends TaskSignature = TaskSignature> {
  id: string;
  name: string;
  category: string;
  priority: TaskPriority;
  status: TaskStatus;
  args: ArgsOf<S>;
  kwargs: KwargsOf<S>;
  /** Set when status is success. */
  result: ResultOf<S> | undefined;
  /** The last failure, if any. */
  error: TaskFailure | undefined;
  maxRetries: number;
  retryCount: number;
  attempt: number;
  retryPolicy: Required<RetryPolicy> | undefined;
  /** 0–100, as last reported by the worker. */
  progress: number;
  progressMessage: string;
  createdAt: Date;
  startedAt: Date | undefined;
  completedAt: Date | undefined;
  runAt: Date | undefined;
  nextAttemptAt: Date | undefined;
  elapsedSeconds: number;
  idempotencyKey: string | undefined;
  timeoutMs: number | undefined;
  cancelRequested: boolean;
  /** Who holds the task while it is started. */
  lease: { workerId: string; expiresAt: Date } | undefined;
  /** Number of the task's latest change. */
  seq: number;
}

/** One change of a task, as `watch` yields them. */
export interface TaskEvent<S extends TaskSignature = TaskSignature> {
  seq: number;
  task: Task<S>;
}

/** Options of `TaskClient.enqueue`. */
export interface EnqueueOptions<S extends TaskSignature = TaskSignature> {
  /** Default "default". */
  category?: string;
  /** Default "normal". */
  priority?: TaskPriority;
  args?: ArgsOf<S>;
  kwargs?: KwargsOf<S>;
  /** Retries after the first attempt, 0–100. Default 0. */
  maxRetries?: number;
  /** Not run before this time. */
  runAt?: Date;
  /** Not run before this many ms from now (ignored if runAt is given). */
  delayMs?: number;
  /** An attempt running longer than this fails with "timeout". */
  timeoutMs?: number;
  /** A second enqueue with the same key returns the first task. */
  idempotencyKey?: string;
  retry?: RetryPolicy;
}

/** Counts for one category. */
export interface CategoryStats {
  category: string;
  queuedByPriority: Record<TaskPriority, number>;
  running: number;
  scheduled: number;
  oldestQueuedAgeMs: number;
  workersSeen: number;
  /** Whether leasing is paused (`TaskClient.pause`). */
  paused: boolean;
  /** Most tasks STARTED at once; 0: no limit (`TaskClient.setLimits`). */
  maxRunning: number;
  /** Most leases started per second; 0: no limit (`TaskClient.setLimits`). */
  maxStartsPerSecond: number;
}

/** An admin's settings of one category, which the server enforces when workers lease. */
export interface CategorySettings {
  category: string;
  /** No task of the category is leased while paused; enqueues are still accepted. */
  paused: boolean;
  /** Most tasks STARTED at once, across all workers and servers; 0: no limit. */
  maxRunning: number;
  /**
   * Most leases started per second, across all workers and servers: a token bucket holding
   * up to this many (at least 1), refilled continuously. Fractions allowed. 0: no limit.
   */
  maxStartsPerSecond: number;
}

/** What `TaskClient.setLimits` changes: a limit given replaces the current one (0 removes it); one left out stays. */
export interface CategoryLimits {
  /** 0 to 1,000,000. */
  maxRunning?: number;
  /** 0 to 1,000,000, fractions allowed. */
  maxStartsPerSecond?: number;
}

/** Exact counts over all stored tasks. */
export interface QueueStats {
  total: number;
  byStatus: Partial<Record<TaskStatus, number>>;
  byCategory: Record<string, number>;
  running: number;
  queued: number;
  categories: CategoryStats[];
}

/** Filters of `TaskClient.list`. */
export interface ListFilter {
  category?: string;
  status?: TaskStatus;
  name?: string;
  /** Tasks per page fetched, 1–1000. Default 100. */
  pageSize?: number;
}
