/** The read queries of the PostgreSQL driver, one function per read method. */
import type pg from "pg";
import type { Task, TaskStatus } from "../../task/task.js";
import type { CategoryQueueCounts } from "../shared-store.js";
import type { TaskCount, TaskListParams, TaskListUnfinishedParams } from "../store.js";
import type { SchemaNames } from "./schema.js";
import { TASK_COLUMN_LIST, taskFromRow, type TaskRow } from "./task-row.js";

/** A pool or a connection inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient;

/** The tasks `SELECT … FROM tasks <tailSql>` finds, in its order. */
export async function selectTasks(db: Queryable, names: SchemaNames, tailSql: string, values: unknown[]): Promise<Task[]> {
  const { rows } = await db.query<TaskRow>(`SELECT ${TASK_COLUMN_LIST} FROM ${names.tasks} ${tailSql}`, values);
  return rows.map(taskFromRow);
}

/** The task with this id, or undefined. */
export async function selectTask(db: Queryable, names: SchemaNames, id: string): Promise<Task | undefined> {
  return (await selectTasks(db, names, "WHERE id = $1", [id]))[0];
}

/** The oldest (lowest id) task with this idempotency key, or undefined. */
export async function selectTaskByIdempotencyKey(db: Queryable, names: SchemaNames, key: string): Promise<Task | undefined> {
  return (await selectTasks(db, names, "WHERE idempotency_key = $1 ORDER BY id LIMIT 1", [key]))[0];
}

/**
 * Tasks matching the filters, newest (highest id) first. One statement whatever the filters:
 * it is planned with the values given, so an unset filter costs nothing.
 */
export async function selectTaskList(db: Queryable, names: SchemaNames, params: TaskListParams): Promise<Task[]> {
  const { category, status, name, beforeId } = params;
  return selectTasks(
    db,
    names,
    `WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR status = $2)
      AND ($3::text IS NULL OR name = $3) AND ($4::text IS NULL OR id < $4)
    ORDER BY id DESC LIMIT $5`,
    [category ?? null, status ?? null, name ?? null, beforeId ?? null, checkLimit(params.limit)],
  );
}

/** Tasks in PENDING, STARTED or RETRY after `afterId`, by ascending id. */
export async function selectUnfinishedTasks(db: Queryable, names: SchemaNames, params: TaskListUnfinishedParams): Promise<Task[]> {
  const unfinished = "status IN ('pending', 'started', 'retry')";
  const limit = checkLimit(params.limit);
  if (params.afterId === undefined) return selectTasks(db, names, `WHERE ${unfinished} ORDER BY id LIMIT $1`, [limit]);
  return selectTasks(db, names, `WHERE ${unfinished} AND id > $1 ORDER BY id LIMIT $2`, [params.afterId, limit]);
}

/** Exact counts of tasks by category and status, ordered by category then status. */
export async function selectCountsByCategoryAndStatus(db: Queryable, names: SchemaNames): Promise<TaskCount[]> {
  const { rows } = await db.query<TaskCount>(
    `SELECT category, status, count(*) AS count FROM ${names.tasks} GROUP BY category, status ORDER BY category, status`,
  );
  return rows.map(({ category, status, count }) => ({ category, status: status as TaskStatus, count }));
}

/**
 * Deletes finished tasks completed before the cut-off and counts them by category and
 * status, in one statement: the counts are exactly what was deleted.
 */
export async function deleteFinishedTasks(db: Queryable, names: SchemaNames, completedBefore: number): Promise<TaskCount[]> {
  // numeric: the cut-off may have a fraction, and compares exactly with bigint ms.
  const { rows } = await db.query<TaskCount>(
    `WITH deleted AS (
      DELETE FROM ${names.tasks}
      WHERE status IN ('success', 'failed', 'cancelled') AND completed_at < $1::numeric
      RETURNING category, status)
    SELECT category, status, count(*) AS count FROM deleted GROUP BY category, status ORDER BY category, status`,
    [completedBefore],
  );
  return rows.map(({ category, status, count }) => ({ category, status: status as TaskStatus, count }));
}

/** The highest stored `readySeq`, or 0. */
export async function selectMaxReadySeq(db: Queryable, names: SchemaNames): Promise<number> {
  const { rows } = await db.query<{ max: number }>(`SELECT coalesce(max(ready_seq), 0) AS max FROM ${names.tasks}`);
  return rows[0]?.max ?? 0;
}

/** The earliest `due_at` (see schema.ts), or undefined if no task will become due. */
export async function selectNextDueAt(db: Queryable, names: SchemaNames): Promise<number | undefined> {
  const { rows } = await db.query<{ due: number | null }>(
    `SELECT min(due_at) AS due FROM ${names.tasks} WHERE due_at IS NOT NULL`,
  );
  return rows[0]?.due ?? undefined;
}

/** Ready and scheduled counts per category that has any, ordered by category. */
/** See SharedStore.taskIdsLeasedTo. */
export async function selectIdsLeasedTo(db: Queryable, names: SchemaNames, category: string, workerId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM ${names.tasks} WHERE status = 'started' AND category = $1 AND lease_worker_id = $2`,
    [category, workerId],
  );
  return rows.map((row) => row.id);
}

export async function selectQueueCounts(db: Queryable, names: SchemaNames): Promise<CategoryQueueCounts[]> {
  const ready = "status = 'pending' AND ready_seq IS NOT NULL";
  const { rows } = await db.query<{ category: string; r0: number; r1: number; r2: number; r3: number; oldest: number | null; scheduled: number }>(
    `SELECT category,
      count(*) FILTER (WHERE ${ready} AND priority_rank = 0) AS r0,
      count(*) FILTER (WHERE ${ready} AND priority_rank = 1) AS r1,
      count(*) FILTER (WHERE ${ready} AND priority_rank = 2) AS r2,
      count(*) FILTER (WHERE ${ready} AND priority_rank = 3) AS r3,
      min(ready_at) FILTER (WHERE ${ready}) AS oldest,
      count(*) FILTER (WHERE NOT (${ready})) AS scheduled
    FROM ${names.tasks} WHERE status IN ('pending', 'retry')
    GROUP BY category ORDER BY category`,
  );
  return rows.map((row) => ({
    category: row.category,
    readyByRank: [row.r0, row.r1, row.r2, row.r3],
    oldestReadyAt: row.oldest ?? undefined,
    scheduled: row.scheduled,
  }));
}

/** `limit` if it is a non-negative integer; a RangeError otherwise, as every driver refuses it. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  return limit;
}
