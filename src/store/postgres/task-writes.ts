/**
 * Writing whole task rows: one statement per call whatever the number of tasks (`unnest` of
 * one array per column), rows in id order so that concurrent writers lock them in the same
 * order and cannot deadlock each other.
 */
import type { Task } from "../../task/task.js";
import type { SchemaNames } from "./schema.js";
import type { Queryable } from "./task-queries.js";
import { TASK_COLUMN_LIST, taskColumnArrays, UNNEST_TASKS } from "./task-row.js";

const UPDATE_ALL = TASK_COLUMN_LIST.split(", ")
  .filter((column) => column !== "id")
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(", ");

/** Inserts new tasks; fails (a duplicate key) if one of their ids is stored. */
export async function insertTasks(db: Queryable, names: SchemaNames, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 0) return;
  await db.query(
    `INSERT INTO ${names.tasks} (${TASK_COLUMN_LIST}) SELECT * FROM ${UNNEST_TASKS}`,
    taskColumnArrays(byId(tasks)),
  );
}

/** Replaces the stored rows of `tasks` whole, inserting those not stored. Each id at most once. */
export async function upsertTasks(db: Queryable, names: SchemaNames, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 0) return;
  await db.query(
    `INSERT INTO ${names.tasks} (${TASK_COLUMN_LIST}) SELECT * FROM ${UNNEST_TASKS}
    ON CONFLICT (id) DO UPDATE SET ${UPDATE_ALL}`,
    taskColumnArrays(byId(tasks)),
  );
}

function byId(tasks: readonly Task[]): Task[] {
  return [...tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
