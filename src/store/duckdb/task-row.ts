/**
 * Task ⇄ row of `tasks`. The appender writes positionally in `TASK_COLUMNS` order, and rows
 * are read from `SELECT TASK_COLUMN_LIST`, so both directions follow that order exactly.
 *
 * An undefined field is NULL and reads back as undefined; `result` keeps null (JSON "null")
 * apart from undefined (NULL). The whole lease is NULL or set, as is the error.
 */
import type { DuckDBAppender, DuckDBValue } from "@duckdb/node-api";
import type { JsonObject, JsonValue, RetryPolicy, Task, TaskPriority, TaskStatus } from "../../task/task.js";
import { TASK_COLUMNS } from "./schema.js";

/** Appends one task as one row; throws (leaving a partial row) if a time or count is not an integer. */
export function appendTaskRow(appender: DuckDBAppender, task: Task): void {
  appender.appendVarchar(task.id);
  appender.appendVarchar(task.name);
  appender.appendVarchar(task.category);
  appender.appendVarchar(task.priority);
  appender.appendVarchar(task.status);
  appender.appendVarchar(JSON.stringify(task.args));
  appender.appendVarchar(JSON.stringify(task.kwargs));
  appendOptionalText(appender, task.result === undefined ? undefined : JSON.stringify(task.result));
  appendOptionalText(appender, task.error?.message);
  appendOptionalText(appender, task.error?.type);
  appender.appendInteger(toInt32(task, "maxRetries", task.maxRetries));
  appender.appendInteger(toInt32(task, "retryCount", task.retryCount));
  appender.appendInteger(toInt32(task, "attempt", task.attempt));
  appendOptionalText(appender, task.retryPolicy && JSON.stringify(task.retryPolicy));
  appender.appendDouble(task.progress);
  appender.appendVarchar(task.progressMessage);
  appender.appendBigInt(toBigInt(task, "createdAt", task.createdAt));
  appendOptionalBigInt(appender, task, "startedAt", task.startedAt);
  appendOptionalBigInt(appender, task, "completedAt", task.completedAt);
  appendOptionalBigInt(appender, task, "runAt", task.runAt);
  appendOptionalBigInt(appender, task, "nextAttemptAt", task.nextAttemptAt);
  appendOptionalBigInt(appender, task, "timeoutMs", task.timeoutMs);
  appendOptionalText(appender, task.idempotencyKey);
  appender.appendBoolean(task.cancelRequested);
  appendOptionalText(appender, task.lease?.workerId);
  appendOptionalText(appender, task.lease?.token);
  appendOptionalBigInt(appender, task, "lease.expiresAt", task.lease?.expiresAt);
  appendOptionalBigInt(appender, task, "lease.durationMs", task.lease?.durationMs);
  appender.appendBigInt(toBigInt(task, "seq", task.seq));
  appendOptionalBigInt(appender, task, "readySeq", task.readySeq);
  appendOptionalBigInt(appender, task, "readyAt", task.readyAt);
  appender.endRow();
}

/**
 * The tasks in the columns of `SELECT TASK_COLUMN_LIST FROM tasks`. Column-wise because
 * the driver reads results with `getColumns`, several times faster than `getRows`.
 */
export function tasksFromColumns(columns: readonly (readonly DuckDBValue[])[]): Task[] {
  // An empty result has no chunks, and then no columns at all.
  if (columns.length === 0) return [];
  const [
    id, name, category, priority, status, args, kwargs, result, errorMessage, errorType,
    maxRetries, retryCount, attempt, retryPolicy, progress, progressMessage,
    createdAt, startedAt, completedAt, runAt, nextAttemptAt, timeoutMs, idempotencyKey,
    cancelRequested, leaseWorkerId, leaseToken, leaseExpiresAt, leaseDurationMs,
    seq, readySeq, readyAt,
  ] = asTaskColumns(columns);
  const tasks: Task[] = [];
  const rowCount = columns[0]?.length ?? 0;
  for (let i = 0; i < rowCount; i++) {
    const leaseTokenValue = leaseToken[i];
    const errorMessageValue = errorMessage[i];
    tasks.push({
      id: text(id[i]),
      name: text(name[i]),
      category: text(category[i]),
      priority: text(priority[i]) as TaskPriority,
      status: text(status[i]) as TaskStatus,
      args: JSON.parse(text(args[i])) as JsonValue[],
      kwargs: JSON.parse(text(kwargs[i])) as JsonObject,
      result: optionalJson(result[i]) as JsonValue | undefined,
      error:
        errorMessageValue == null ? undefined : { message: text(errorMessageValue), type: text(errorType[i] ?? "") },
      maxRetries: num(maxRetries[i]),
      retryCount: num(retryCount[i]),
      attempt: num(attempt[i]),
      retryPolicy: optionalJson(retryPolicy[i]) as RetryPolicy | undefined,
      progress: num(progress[i]),
      progressMessage: text(progressMessage[i]),
      createdAt: num(createdAt[i]),
      startedAt: optionalNum(startedAt[i]),
      completedAt: optionalNum(completedAt[i]),
      runAt: optionalNum(runAt[i]),
      nextAttemptAt: optionalNum(nextAttemptAt[i]),
      timeoutMs: optionalNum(timeoutMs[i]),
      idempotencyKey: optionalText(idempotencyKey[i]),
      cancelRequested: cancelRequested[i] === true,
      lease:
        leaseTokenValue == null
          ? undefined
          : {
              workerId: text(leaseWorkerId[i]),
              token: text(leaseTokenValue),
              expiresAt: num(leaseExpiresAt[i]),
              durationMs: num(leaseDurationMs[i]),
            },
      seq: num(seq[i]),
      readySeq: optionalNum(readySeq[i]),
      readyAt: optionalNum(readyAt[i]),
    });
  }
  return tasks;
}

/** One array of values per column of `tasks`, typed so that destructuring checks the count. */
type TaskColumns = ValuesPerColumn<typeof TASK_COLUMNS>;
// Generic so that mapping a tuple type yields a tuple of the same length.
type ValuesPerColumn<T extends readonly unknown[]> = { readonly [K in keyof T]: readonly DuckDBValue[] };

function asTaskColumns(columns: readonly (readonly DuckDBValue[])[]): TaskColumns {
  if (columns.length !== TASK_COLUMNS.length) {
    throw new TypeError(`tasks: expected ${TASK_COLUMNS.length} columns, got ${columns.length}`);
  }
  return columns as unknown as TaskColumns;
}

function appendOptionalText(appender: DuckDBAppender, value: string | undefined): void {
  if (value == null) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendOptionalBigInt(appender: DuckDBAppender, task: Task, field: string, value: number | undefined): void {
  if (value == null) appender.appendNull();
  else appender.appendBigInt(toBigInt(task, field, value));
}

// BigInt() of a fraction throws a RangeError that names neither the task nor the field.
function toBigInt(task: Task, field: string, value: number): bigint {
  return BigInt(toInteger(task, field, value));
}

function toInteger(task: Task, field: string, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new TypeError(`task ${task.id}: ${field} must be an integer, got ${String(value)}`);
  }
  return value;
}

// Counts are INTEGER columns; the appender would wrap a larger value silently.
function toInt32(task: Task, field: string, value: number): number {
  if ((value | 0) !== value) {
    throw new TypeError(`task ${task.id}: ${field} must be a 32-bit integer, got ${String(value)}`);
  }
  return value;
}

function text(value: DuckDBValue | undefined): string {
  if (typeof value !== "string") throw new TypeError(`tasks row: expected text, got ${String(value)}`);
  return value;
}

function num(value: DuckDBValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new TypeError(`tasks row: expected a number, got ${String(value)}`);
}

function optionalText(value: DuckDBValue | undefined): string | undefined {
  return value == null ? undefined : text(value);
}

function optionalJson(value: DuckDBValue | undefined): unknown {
  return value == null ? undefined : JSON.parse(text(value));
}

function optionalNum(value: DuckDBValue | undefined): number | undefined {
  return value == null ? undefined : num(value);
}
