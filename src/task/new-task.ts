/** A task as enqueue creates it. */
import type { Task } from "./task.js";
import type { EnqueueSpec } from "./validate.js";

/** A new PENDING task from a validated enqueue; not yet ready (the scheduler decides when it is). */
export function newTask(spec: EnqueueSpec, id: string, now: number): Task {
  return {
    id,
    ...spec,
    status: "pending",
    result: undefined,
    error: undefined,
    retryCount: 0,
    attempt: 0,
    progress: 0,
    progressMessage: "",
    createdAt: now,
    startedAt: undefined,
    completedAt: undefined,
    nextAttemptAt: undefined,
    cancelRequested: false,
    lease: undefined,
    seq: 1,
    readySeq: undefined,
    readyAt: undefined,
  };
}
