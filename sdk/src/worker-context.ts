/** What a Worker hands to a handler, and what the handler's signal says when it aborts. */
import type { ArgsOf, KwargsOf, ResultOf, Task, TaskSignature } from "./types.js";

/**
 * Why a handler's `ctx.signal` aborted:
 * - `cancelled`: someone cancelled the task; whatever the handler then returns or throws
 *   is reported, and the server records CANCELLED.
 * - `lease-lost`: the server no longer holds this attempt for this worker (it expired
 *   while heartbeats could not get through); another attempt may already run, so nothing
 *   is reported.
 * - `timeout`: the task's `timeoutMs` ran out; the attempt was failed with "timeout".
 * - `shutdown`: `stop()`'s grace period ran out; the task was handed back to run again.
 */
export type AbortReason = "cancelled" | "lease-lost" | "timeout" | "shutdown";

/** The `reason` of an aborted `ctx.signal`: `signal.reason.reason` says why. */
export class TaskAbortedError extends Error {
  override name = "TaskAbortedError";

  constructor(
    readonly reason: AbortReason,
    message: string,
  ) {
    super(message);
  }
}

/** What a handler receives; `S` is its task name's signature. */
export interface TaskContext<S extends TaskSignature = TaskSignature> {
  /** The task as it was leased: id, name, attempt, retryCount, … */
  readonly task: Task<S>;
  /** The task's args (`task.args`). */
  readonly args: ArgsOf<S>;
  /** The task's kwargs (`task.kwargs`). */
  readonly kwargs: KwargsOf<S>;
  /**
   * Aborts when the handler should stop: cancel, lost lease, timeout or shutdown (see
   * `AbortReason`). Pass it on to fetch and friends, or check `signal.aborted` in loops.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress, 0–100 (clamped), and optionally a message (kept until the next one,
   * at most 1,024 characters). Cheap to call often: it reaches the server, and watchers,
   * at most every 250 ms with the latest value, and with every heartbeat.
   */
  progress(percent: number, message?: string): void;
}

/**
 * Runs one task. May be sync or async. Its return value (JSON, or undefined for none) is
 * the task's result; a throw fails the attempt — retryably, unless it is a
 * `NonRetryableError`.
 */
export type TaskHandler<S extends TaskSignature = TaskSignature> = (
  ctx: TaskContext<S>,
) => ResultOf<S> | undefined | void | Promise<ResultOf<S> | undefined | void>;
