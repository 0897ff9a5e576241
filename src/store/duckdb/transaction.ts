/** Explicit transactions on one DuckDB connection. */
import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * Runs `body` inside BEGIN … COMMIT on `connection`. If the body or the commit fails, the
 * transaction is rolled back and the original error is rethrown: nothing of it is stored.
 * The caller must ensure no other transaction runs on the same connection meanwhile.
 */
export async function inTransaction<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
  await connection.run("BEGIN TRANSACTION");
  try {
    const result = await body();
    await connection.run("COMMIT");
    return result;
  } catch (error) {
    // A failed statement or commit may already have aborted the transaction; ROLLBACK then
    // fails too, and the first error is the one worth reporting.
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
