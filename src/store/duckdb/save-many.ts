/**
 * The group commit: `taskSaveMany` in one DuckDB transaction.
 *
 * Inserts go through an appender straight into `tasks`. Updates are set-based: the new rows
 * are appended to a temp table shaped like `tasks`, then one UPDATE … FROM replaces the
 * stored rows and one INSERT adds those that were missing. Per-row UPDATE statements would
 * cost a parse and a round trip each, which group commit exists to avoid.
 *
 * Appending and `flushSync` run on the event loop (the appender API has no async flush):
 * about 8 µs per row, so a 20,000-row commit holds the loop for ~0.2 s. The statements and
 * the commit run on DuckDB's threads.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Task } from "../../task/task.js";
import type { TaskSaveManyParams } from "../store.js";
import { TASK_COLUMNS } from "./schema.js";
import { appendTaskRow } from "./task-row.js";
import { inTransaction } from "./transaction.js";

// Temp tables are per connection: this one exists only on the write connection.
const UPDATES_TABLE = "tasks_updates";

const UPDATE_SQL =
  `UPDATE tasks SET ${TASK_COLUMNS.filter(([name]) => name !== "id")
    .map(([name]) => `${name} = u.${name}`)
    .join(", ")} ` + `FROM ${UPDATES_TABLE} AS u WHERE tasks.id = u.id`;

// NOT EXISTS would build its hash table over all of `tasks`; joining first keeps it to the
// staged ids (measured: 3 ms instead of 26 ms at one million rows).
const INSERT_MISSING_SQL =
  `INSERT INTO tasks SELECT * FROM ${UPDATES_TABLE} ` +
  `WHERE id NOT IN (SELECT tasks.id FROM tasks JOIN ${UPDATES_TABLE} AS u ON tasks.id = u.id)`;

/** Creates the temp table `saveTasks` stages updates in; call once on the write connection. */
export async function prepareSaveTasks(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE TEMP TABLE ${UPDATES_TABLE} AS SELECT * FROM tasks LIMIT 0`);
}

/**
 * Writes one group commit in one transaction; on any failure nothing of it is stored.
 * A task listed both as inserted and updated ends as its updated version; a task updated
 * twice ends as its last version. Not reentrant: the caller serialises calls per connection.
 */
export async function saveTasks(connection: DuckDBConnection, params: TaskSaveManyParams): Promise<void> {
  const { inserted } = params;
  const updated = lastVersionOfEach(params.updated);
  if (inserted.length === 0 && updated.length === 0) return;
  await inTransaction(connection, async () => {
    if (inserted.length > 0) await appendTasks(connection, inserted, "tasks");
    if (updated.length > 0) {
      await appendTasks(connection, updated, UPDATES_TABLE, "temp");
      const { rowsChanged } = await connection.run(UPDATE_SQL);
      // Updating a row that is not stored is allowed but rare: look for one only if needed.
      if (rowsChanged < updated.length) await connection.run(INSERT_MISSING_SQL);
      await connection.run(`DELETE FROM ${UPDATES_TABLE}`);
    }
  });
}

async function appendTasks(
  connection: DuckDBConnection,
  tasks: readonly Task[],
  table: string,
  catalog: string | null = null,
): Promise<void> {
  const appender = await connection.createAppender(table, catalog === null ? null : "main", catalog);
  try {
    for (const task of tasks) appendTaskRow(appender, task);
    appender.flushSync();
  } catch (error) {
    // Drop the buffered rows, or closing the appender would try to write them again.
    appender.clear();
    throw error;
  } finally {
    appender.closeSync();
  }
}

// UPDATE … FROM with two source rows for one id would pick either; the last one must win.
function lastVersionOfEach(tasks: readonly Task[]): readonly Task[] {
  const ids = new Set<string>();
  let duplicated = false;
  for (const task of tasks) {
    if (ids.has(task.id)) duplicated = true;
    ids.add(task.id);
  }
  if (!duplicated) return tasks;
  return [...new Map(tasks.map((task) => [task.id, task])).values()];
}
