/**
 * Task ⇄ row of `tasks`. Writes send one array per column (`unnest`), so a thousand tasks
 * are one statement; reads map a row object back to a Task.
 *
 * An undefined field is NULL and reads back as undefined; `result` keeps null (JSON "null")
 * apart from undefined (NULL), which is why JSON columns are read as text and parsed here.
 * The whole lease is NULL or set, as is the error.
 */
import type { JsonObject, JsonValue, RetryPolicy, Task, TaskPriority, TaskStatus } from "../../task/task.js";
import { checkStorable } from "../check-storable.js";

type Cell = string | number | boolean | null;

/** The written columns of `tasks`: name, array type for `unnest`, and the cell of a task. */
const COLUMNS: ReadonlyArray<readonly [string, string, (task: Task) => Cell]> = [
  ["id", "text", (t) => text(t, "id", t.id)],
  ["name", "text", (t) => text(t, "name", t.name)],
  ["category", "text", (t) => text(t, "category", t.category)],
  ["priority", "text", (t) => text(t, "priority", t.priority)],
  ["status", "text", (t) => text(t, "status", t.status)],
  ["args", "json", (t) => JSON.stringify(t.args)],
  ["kwargs", "json", (t) => JSON.stringify(t.kwargs)],
  ["result", "json", (t) => (t.result === undefined ? null : JSON.stringify(t.result))],
  ["error_message", "text", (t) => optionalText(t, "error.message", t.error?.message)],
  ["error_type", "text", (t) => (t.error === undefined ? null : text(t, "error.type", t.error.type ?? ""))],
  ["max_retries", "integer", (t) => t.maxRetries],
  ["retry_count", "integer", (t) => t.retryCount],
  ["attempt", "integer", (t) => t.attempt],
  ["retry_policy", "json", (t) => (t.retryPolicy == null ? null : JSON.stringify(t.retryPolicy))],
  ["progress", "double precision", (t) => t.progress],
  ["progress_message", "text", (t) => text(t, "progressMessage", t.progressMessage)],
  ["created_at", "bigint", (t) => t.createdAt],
  ["started_at", "bigint", (t) => t.startedAt ?? null],
  ["completed_at", "bigint", (t) => t.completedAt ?? null],
  ["run_at", "bigint", (t) => t.runAt ?? null],
  ["next_attempt_at", "bigint", (t) => t.nextAttemptAt ?? null],
  ["timeout_ms", "bigint", (t) => t.timeoutMs ?? null],
  ["idempotency_key", "text", (t) => optionalText(t, "idempotencyKey", t.idempotencyKey)],
  ["cancel_requested", "boolean", (t) => t.cancelRequested],
  ["lease_worker_id", "text", (t) => optionalText(t, "lease.workerId", t.lease?.workerId)],
  ["lease_token", "text", (t) => optionalText(t, "lease.token", t.lease?.token)],
  ["lease_expires_at", "bigint", (t) => t.lease?.expiresAt ?? null],
  ["lease_duration_ms", "bigint", (t) => t.lease?.durationMs ?? null],
  ["seq", "bigint", (t) => t.seq],
  ["ready_seq", "bigint", (t) => t.readySeq ?? null],
  ["ready_at", "bigint", (t) => t.readyAt ?? null],
];

/** The column names of `tasks` that hold a Task, comma-separated, for SELECT and INSERT lists. */
export const TASK_COLUMN_LIST = COLUMNS.map(([name]) => name).join(", ");

/** `unnest($1::text[], $2::text[], …) AS u(id, name, …)`: the rows of `taskColumnArrays`, as a FROM item. */
export const UNNEST_TASKS = `unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")}) AS u(${TASK_COLUMN_LIST})`;

/**
 * The parameters of `UNNEST_TASKS` for `tasks`: one array per column. Throws, naming the task
 * and field, if a time or count is not an integer or a text holds NUL (PostgreSQL text cannot).
 */
export function taskColumnArrays(tasks: readonly Task[]): Cell[][] {
  tasks.forEach(checkStorable);
  return COLUMNS.map(([, , cell]) => tasks.map(cell));
}

/** A row of `SELECT TASK_COLUMN_LIST FROM tasks`, with bigints already numbers and JSON as text. */
export interface TaskRow {
  id: string;
  name: string;
  category: string;
  priority: string;
  status: string;
  args: string;
  kwargs: string;
  result: string | null;
  error_message: string | null;
  error_type: string | null;
  max_retries: number;
  retry_count: number;
  attempt: number;
  retry_policy: string | null;
  progress: number;
  progress_message: string;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  run_at: number | null;
  next_attempt_at: number | null;
  timeout_ms: number | null;
  idempotency_key: string | null;
  cancel_requested: boolean;
  lease_worker_id: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  lease_duration_ms: number | null;
  seq: number;
  ready_seq: number | null;
  ready_at: number | null;
}

/** The task a row holds. */
export function taskFromRow(row: TaskRow): Task {
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    priority: row.priority as TaskPriority,
    status: row.status as TaskStatus,
    args: JSON.parse(row.args) as JsonValue[],
    kwargs: JSON.parse(row.kwargs) as JsonObject,
    result: row.result === null ? undefined : (JSON.parse(row.result) as JsonValue),
    error: row.error_message === null ? undefined : { message: row.error_message, type: row.error_type ?? "" },
    maxRetries: row.max_retries,
    retryCount: row.retry_count,
    attempt: row.attempt,
    retryPolicy: row.retry_policy === null ? undefined : (JSON.parse(row.retry_policy) as RetryPolicy),
    progress: row.progress,
    progressMessage: row.progress_message,
    createdAt: row.created_at,
    startedAt: row.started_at ?? undefined,
    completedAt: row.completed_at ?? undefined,
    runAt: row.run_at ?? undefined,
    nextAttemptAt: row.next_attempt_at ?? undefined,
    timeoutMs: row.timeout_ms ?? undefined,
    idempotencyKey: row.idempotency_key ?? undefined,
    cancelRequested: row.cancel_requested,
    lease:
      row.lease_token === null
        ? undefined
        : {
            workerId: row.lease_worker_id ?? "",
            token: row.lease_token,
            expiresAt: row.lease_expires_at ?? 0,
            durationMs: row.lease_duration_ms ?? 0,
          },
    seq: row.seq,
    readySeq: row.ready_seq ?? undefined,
    readyAt: row.ready_at ?? undefined,
  };
}

function text(task: Task, field: string, value: string): string {
  if (value.includes("\u0000")) throw new TypeError(`task ${task.id}: ${field} must not contain the character U+0000`);
  return value;
}

function optionalText(task: Task, field: string, value: string | undefined): string | null {
  return value == null ? null : text(task, field, value);
}
