/** `taskDeleteFinishedMany` for DuckDB: count, then delete, in one transaction. */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { TaskCount, TaskDeleteFinishedParams } from "../store.js";
import { selectCounts } from "./task-queries.js";
import { inTransaction } from "./transaction.js";

const FINISHED_BEFORE = "WHERE status IN ('success', 'failed', 'cancelled') AND completed_at < $1";

/**
 * Deletes finished tasks completed before the cut-off and returns their counts by category
 * and status. Counting inside the deleting transaction makes the counts exactly what was
 * deleted. Must run on the write connection, serialised with `saveTasks`.
 */
export async function deleteFinishedTasks(
  connection: DuckDBConnection,
  params: TaskDeleteFinishedParams,
): Promise<TaskCount[]> {
  // A JS number binds as DOUBLE, which compares exactly with BIGINT ms, fractions included.
  const values = [params.completedBefore];
  return inTransaction(connection, async () => {
    const counts = await selectCounts(connection, FINISHED_BEFORE, values);
    if (counts.length > 0) await connection.run(`DELETE FROM tasks ${FINISHED_BEFORE}`, values);
    return counts;
  });
}
