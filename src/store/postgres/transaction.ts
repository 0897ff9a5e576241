/** Transactions on a pooled connection. */
import pg from "pg";

/**
 * Runs `body` inside BEGIN … COMMIT on a connection of `pool`. If the body or the commit
 * fails, the transaction is rolled back and the original error is rethrown: nothing of it is
 * stored. A connection that failed (dropped, or silent past its query timeout) is discarded
 * rather than rolled back and reused: the server rolls back when it goes.
 */
export async function inTransaction<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    if (isConnectionFailure(error)) broken = error;
    else await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs a read-only `query`, once more on a fresh connection if the first one's connection had
 * failed. A pooled connection can be dead before the pool knows it — its backend ended
 * (restart, failover, `pg_terminate_backend`) while it sat idle — and a read is safe to repeat.
 */
export async function readRetrying<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (!isConnectionFailure(error) && !isBackendEnded(error)) throw error;
    return query();
  }
}

/** PostgreSQL's class 57P (operator intervention: admin shutdown, crash shutdown, cannot connect now): the backend has ended. */
function isBackendEnded(error: unknown): boolean {
  return error instanceof pg.DatabaseError && typeof error.code === "string" && error.code.startsWith("57P");
}

/** Whether `error` says the connection itself failed, rather than a statement or the caller's code. */
export function isConnectionFailure(error: unknown): error is Error {
  if (!(error instanceof Error) || error instanceof pg.DatabaseError) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (typeof code === "string" && /^E[A-Z]+$/.test(code)) ||
    /Connection terminated|Query read timeout|connection error|not queryable/i.test(error.message)
  );
}
