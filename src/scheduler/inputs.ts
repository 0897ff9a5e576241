/** Plain inputs and outputs of the scheduler's worker and listing operations. */
import type { JsonValue, Task, TaskError, TaskStatus } from "../task/task.js";

/** ListTasks filters; empty strings mean "any". */
export interface ListInput {
  category?: string | undefined;
  status?: TaskStatus | undefined;
  name?: string | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

/** A task handed to a worker with the token that proves its lease. */
export interface LeasedTask {
  task: Task;
  leaseToken: string;
  leaseExpiresAt: number;
}

/** A worker's heartbeat. */
export interface HeartbeatInput {
  taskId: string;
  leaseToken: string;
  progress: number;
  progressMessage: string;
  /** Undefined: the duration the task was leased with. */
  extendByMs?: number | undefined;
}

/** What a heartbeat tells the worker. */
export interface HeartbeatResult {
  leaseExpiresAt: number;
  cancelRequested: boolean;
}

/** A worker's report that a task's handler returned. */
export interface AckInput {
  taskId: string;
  leaseToken: string;
  result?: JsonValue | undefined;
}

/** A worker's report that a task's handler failed. */
export interface FailInput {
  taskId: string;
  leaseToken: string;
  error: TaskError | undefined;
  retryable: boolean;
  /** The worker is stopping: back to PENDING at once, no retry used. */
  requeue?: boolean | undefined;
}
