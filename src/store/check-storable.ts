/** The checks a durable driver's column types impose, applied by the memory store too. */
import type { Task } from "../task/task.js";

/**
 * Throws if `task` could not be stored losslessly in integer columns: times, durations and
 * sequence numbers must be safe integers, counts 32-bit integers. The DuckDB driver refuses
 * such a task with the same message; refusing it here too keeps tests on the memory store
 * from passing with values production would reject.
 */
export function checkStorable(task: Task): void {
  const integers: [string, number | undefined][] = [
    ["createdAt", task.createdAt],
    ["startedAt", task.startedAt],
    ["completedAt", task.completedAt],
    ["runAt", task.runAt],
    ["nextAttemptAt", task.nextAttemptAt],
    ["timeoutMs", task.timeoutMs],
    ["lease.expiresAt", task.lease?.expiresAt],
    ["lease.durationMs", task.lease?.durationMs],
    ["seq", task.seq],
    ["readySeq", task.readySeq],
    ["readyAt", task.readyAt],
  ];
  for (const [field, value] of integers) {
    if (value != null && !Number.isSafeInteger(value)) fail(task, field, "an integer", value);
  }
  const counts: [string, number][] = [
    ["maxRetries", task.maxRetries],
    ["retryCount", task.retryCount],
    ["attempt", task.attempt],
  ];
  for (const [field, value] of counts) {
    if ((value | 0) !== value) fail(task, field, "a 32-bit integer", value);
  }
}

function fail(task: Task, field: string, what: string, value: number): never {
  throw new TypeError(`task ${task.id}: ${field} must be ${what}, got ${String(value)}`);
}
