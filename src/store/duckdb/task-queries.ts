/** The read queries of the DuckDB driver, one function per `Store` read method. */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { Task, TaskStatus } from "../../task/task.js";
import type { TaskCount, TaskListParams, TaskListUnfinishedParams } from "../store.js";
import { TASK_COLUMN_LIST } from "./schema.js";
import { tasksFromColumns } from "./task-row.js";

/** The task with this id, or undefined. */
export async function selectTask(connection: DuckDBConnection, id: string): Promise<Task | undefined> {
  const tasks = await selectTasks(connection, "WHERE id = $1", [id]);
  return tasks[0];
}

/** The oldest (lowest id) task with this idempotency key, or undefined. */
export async function selectTaskByIdempotencyKey(connection: DuckDBConnection, key: string): Promise<Task | undefined> {
  const tasks = await selectTasks(connection, "WHERE idempotency_key = $1 ORDER BY id LIMIT 1", [key]);
  return tasks[0];
}

/** Tasks matching the filters, newest (highest id) first. */
export async function selectTaskList(connection: DuckDBConnection, params: TaskListParams): Promise<Task[]> {
  const values: DuckDBValue[] = [];
  const where: string[] = [];
  const filter = (column: string, operator: string, value: string | undefined): void => {
    if (value === undefined) return;
    values.push(value);
    where.push(`${column} ${operator} $${values.length}`);
  };
  filter("category", "=", params.category);
  filter("status", "=", params.status);
  filter("name", "=", params.name);
  filter("id", "<", params.beforeId);
  values.push(limitValue(params.limit));
  const whereSql = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return selectTasks(connection, `${whereSql} ORDER BY id DESC LIMIT $${values.length}`, values);
}

/** Tasks in PENDING, STARTED or RETRY after `afterId`, by ascending id. */
export async function selectUnfinishedTasks(
  connection: DuckDBConnection,
  params: TaskListUnfinishedParams,
): Promise<Task[]> {
  const unfinished = "status IN ('pending', 'started', 'retry')";
  if (params.afterId === undefined) {
    return selectTasks(connection, `WHERE ${unfinished} ORDER BY id LIMIT $1`, [limitValue(params.limit)]);
  }
  return selectTasks(connection, `WHERE ${unfinished} AND id > $1 ORDER BY id LIMIT $2`, [
    params.afterId,
    limitValue(params.limit),
  ]);
}

/** Exact counts of tasks by category and status, ordered by category then status. */
export async function selectCountsByCategoryAndStatus(connection: DuckDBConnection): Promise<TaskCount[]> {
  return selectCounts(connection, "", []);
}

/** The highest stored `readySeq`, or 0. */
export async function selectMaxReadySeq(connection: DuckDBConnection): Promise<number> {
  const rows = (await connection.runAndReadAll("SELECT coalesce(max(ready_seq), 0) FROM tasks")).getRows();
  return Number(rows[0]?.[0] ?? 0);
}

/** Counts by category and status of the tasks matching `whereSql` (empty: all tasks). */
export async function selectCounts(
  connection: DuckDBConnection,
  whereSql: string,
  values: DuckDBValue[],
): Promise<TaskCount[]> {
  const reader = await connection.runAndReadAll(
    `SELECT category, status, count(*) FROM tasks ${whereSql} GROUP BY category, status ORDER BY category, status`,
    values,
  );
  return reader.getRows().map(([category, status, count]) => ({
    category: String(category),
    status: String(status) as TaskStatus,
    count: Number(count),
  }));
}

async function selectTasks(connection: DuckDBConnection, tailSql: string, values: DuckDBValue[]): Promise<Task[]> {
  const reader = await connection.runAndReadAll(`SELECT ${TASK_COLUMN_LIST} FROM tasks ${tailSql}`, values);
  return tasksFromColumns(reader.getColumns());
}

// A bigint binds as BIGINT; a JS number would bind as DOUBLE, which LIMIT does not take.
function limitValue(limit: number): bigint {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  return BigInt(limit);
}
