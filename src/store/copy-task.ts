/** Deep copies of tasks, so the memory store's state is reachable only through the interface. */
import type { Task } from "../task/task.js";

/**
 * A deep copy of `task` with exactly the fields of `Task`, as a durable driver would give
 * back after a round trip: extra properties are dropped, nested objects are not shared,
 * and a null optional field reads back as undefined (as a NULL column does).
 */
export function copyTask(task: Task): Task {
  return {
    id: task.id,
    name: task.name,
    category: task.category,
    priority: task.priority,
    status: task.status,
    args: structuredClone(task.args),
    kwargs: structuredClone(task.kwargs),
    result: task.result === undefined ? undefined : structuredClone(task.result),
    error: task.error == null ? undefined : { message: task.error.message, type: task.error.type ?? "" },
    maxRetries: task.maxRetries,
    retryCount: task.retryCount,
    attempt: task.attempt,
    retryPolicy: task.retryPolicy == null ? undefined : { ...task.retryPolicy },
    progress: task.progress,
    progressMessage: task.progressMessage,
    createdAt: task.createdAt,
    startedAt: task.startedAt ?? undefined,
    completedAt: task.completedAt ?? undefined,
    runAt: task.runAt ?? undefined,
    nextAttemptAt: task.nextAttemptAt ?? undefined,
    timeoutMs: task.timeoutMs ?? undefined,
    idempotencyKey: task.idempotencyKey ?? undefined,
    cancelRequested: task.cancelRequested,
    lease:
      task.lease == null
        ? undefined
        : {
            workerId: task.lease.workerId,
            token: task.lease.token,
            expiresAt: task.lease.expiresAt,
            durationMs: task.lease.durationMs,
          },
    seq: task.seq,
    readySeq: task.readySeq ?? undefined,
    readyAt: task.readyAt ?? undefined,
  };
}
