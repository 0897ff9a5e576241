/**
 * The legal transitions of a task, as pure functions over the in-memory Task.
 * Each bumps `seq` (every change is an event). The scheduler decides when to call them
 * and keeps its queues in step; nothing here knows about queues or stores.
 */
import { DEFAULT_RETRY_POLICY, type JsonValue, type Lease, type RetryPolicy, type Task, type TaskError } from "./task.js";

/** The error recorded when a lease runs out. */
export const LEASE_EXPIRED_ERROR: TaskError = { message: "lease expired: the worker stopped heartbeating", type: "LeaseExpired" };
/** The error recorded when an attempt runs past the task's timeout. */
export const TIMEOUT_ERROR: TaskError = { message: "timeout", type: "Timeout" };

/**
 * The wait before retry number `retryCount` (0-based): min(initial × multiplier^n, max),
 * spread by ± jitter. With the default policy: 1, 2, 4, … 60 s, as the original.
 */
export function backoffMs(policy: RetryPolicy | undefined, retryCount: number, random: () => number): number {
  const p = policy ?? DEFAULT_RETRY_POLICY;
  const base = Math.min(p.initialMs * p.multiplier ** retryCount, p.maxMs);
  if (p.jitter === 0) return base;
  return Math.max(0, Math.round(base * (1 + p.jitter * (2 * random() - 1))));
}

/** PENDING (ready) → STARTED under a new lease. */
export function startAttempt(task: Task, lease: Lease, now: number): void {
  task.status = "started";
  task.attempt += 1;
  task.startedAt = now;
  task.completedAt = undefined;
  task.lease = lease;
  task.readySeq = undefined;
  task.seq += 1;
}

/** STARTED → SUCCESS, or CANCELLED if cancel was requested while it ran. */
export function completeAttempt(task: Task, result: JsonValue | undefined, now: number): void {
  if (task.cancelRequested) {
    finish(task, "cancelled", now);
    return;
  }
  task.result = result;
  task.error = undefined;
  task.progress = 100;
  finish(task, "success", now);
}

/**
 * STARTED → RETRY (retryable, retries left), CANCELLED (cancel requested) or FAILED.
 * Returns the time of the next attempt when the task goes to RETRY.
 */
export function failAttempt(
  task: Task,
  error: TaskError,
  retryable: boolean,
  now: number,
  random: () => number,
): number | undefined {
  task.error = error;
  if (task.cancelRequested) {
    finish(task, "cancelled", now);
    return undefined;
  }
  if (!retryable || task.retryCount >= task.maxRetries) {
    finish(task, "failed", now);
    return undefined;
  }
  const at = now + backoffMs(task.retryPolicy, task.retryCount, random);
  task.retryCount += 1;
  task.status = "retry";
  task.lease = undefined;
  task.completedAt = now;
  task.nextAttemptAt = at;
  task.seq += 1;
  return at;
}

/** STARTED → PENDING: a stopping worker hands the task back; no retry is used (or CANCELLED if asked). */
export function requeueAttempt(task: Task, now: number): void {
  if (task.cancelRequested) {
    finish(task, "cancelled", now);
    return;
  }
  task.status = "pending";
  task.lease = undefined;
  task.seq += 1;
}

/** PENDING or RETRY → CANCELLED (it never runs). */
export function cancelQueued(task: Task, now: number): void {
  finish(task, "cancelled", now);
}

/** STARTED: mark cancel as requested; the worker learns it on its next heartbeat. */
export function requestCancel(task: Task): void {
  task.cancelRequested = true;
  task.seq += 1;
}

/** FAILED → PENDING: status, timing, error and progress reset; retryCount kept (as the original). */
export function manualRetry(task: Task): void {
  task.status = "pending";
  task.error = undefined;
  task.result = undefined;
  task.progress = 0;
  task.progressMessage = "";
  task.startedAt = undefined;
  task.completedAt = undefined;
  task.nextAttemptAt = undefined;
  task.runAt = undefined;
  task.cancelRequested = false;
  task.seq += 1;
}

/** Scheduled (run_at or backoff over) → ready PENDING at the tail of its priority's FIFO. */
export function becomeReady(task: Task, readySeq: number, now: number): void {
  endBackoff(task);
  task.readySeq = readySeq;
  task.readyAt = now;
}

/** RETRY whose backoff is over → PENDING (not yet in a FIFO); other statuses are left alone. */
export function endBackoff(task: Task): void {
  if (task.status !== "retry") return;
  task.status = "pending";
  task.nextAttemptAt = undefined;
  task.seq += 1;
}

/**
 * STARTED whose attempt ran out on its own: past its timeout → FAILED (a timeout is not
 * retried); otherwise its lease expired → counted as a failed attempt, retried as the policy
 * says. Returns the time of the next attempt when the task goes to RETRY.
 */
export function expireAttempt(task: Task, now: number, random: () => number): number | undefined {
  const timedOut = task.timeoutMs !== undefined && task.startedAt !== undefined && now >= task.startedAt + task.timeoutMs;
  if (timedOut) return failAttempt(task, TIMEOUT_ERROR, false, now, random);
  return failAttempt(task, LEASE_EXPIRED_ERROR, true, now, random);
}

/** Progress reported by the worker of a STARTED task. Returns whether anything changed. */
export function reportProgress(task: Task, progress: number, message: string): boolean {
  if (task.progress === progress && task.progressMessage === message) return false;
  task.progress = progress;
  task.progressMessage = message;
  task.seq += 1;
  return true;
}

function finish(task: Task, status: "success" | "failed" | "cancelled", now: number): void {
  task.status = status;
  task.lease = undefined;
  task.completedAt = now;
  task.nextAttemptAt = undefined;
  task.readySeq = undefined;
  task.seq += 1;
}
