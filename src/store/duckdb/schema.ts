/**
 * The DuckDB schema of gobq and its migrations.
 *
 * One table `tasks` holds every task, `category_settings` the categories an admin paused or
 * limited; `schema_version` records which migrations ran, so a later gobq can upgrade a file
 * in place and an older gobq refuses a newer file.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { StoreOpenError } from "../store.js";
import { inTransaction } from "./transaction.js";

/**
 * The columns of `tasks`, in table order. The appender writes columns positionally, so this
 * order must match the table: a migration that adds a column appends it here, last.
 * Times are epoch ms; JSON fields are JSON text; NULL stands for an undefined field.
 * Only `id` is indexed: DuckDB turns an update of an indexed column into delete+insert,
 * and ids never change.
 */
export const TASK_COLUMNS = [
  ["id", "VARCHAR PRIMARY KEY"],
  ["name", "VARCHAR NOT NULL"],
  ["category", "VARCHAR NOT NULL"],
  ["priority", "VARCHAR NOT NULL"],
  ["status", "VARCHAR NOT NULL"],
  ["args", "VARCHAR NOT NULL"],
  ["kwargs", "VARCHAR NOT NULL"],
  ["result", "VARCHAR"],
  ["error_message", "VARCHAR"],
  ["error_type", "VARCHAR"],
  ["max_retries", "INTEGER NOT NULL"],
  ["retry_count", "INTEGER NOT NULL"],
  ["attempt", "INTEGER NOT NULL"],
  ["retry_policy", "VARCHAR"],
  ["progress", "DOUBLE NOT NULL"],
  ["progress_message", "VARCHAR NOT NULL"],
  ["created_at", "BIGINT NOT NULL"],
  ["started_at", "BIGINT"],
  ["completed_at", "BIGINT"],
  ["run_at", "BIGINT"],
  ["next_attempt_at", "BIGINT"],
  ["timeout_ms", "BIGINT"],
  ["idempotency_key", "VARCHAR"],
  ["cancel_requested", "BOOLEAN NOT NULL"],
  ["lease_worker_id", "VARCHAR"],
  ["lease_token", "VARCHAR"],
  ["lease_expires_at", "BIGINT"],
  ["lease_duration_ms", "BIGINT"],
  ["seq", "BIGINT NOT NULL"],
  ["ready_seq", "BIGINT"],
  ["ready_at", "BIGINT"],
] as const;

/** The column names of `tasks`, comma-separated in table order, for SELECT lists. */
export const TASK_COLUMN_LIST = TASK_COLUMNS.map(([name]) => name).join(", ");

/** Migration i takes a file from schema version i to i + 1; the last one gives the current version. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [`CREATE TABLE tasks (${TASK_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", ")})`],
  // One row per category with settings (category-settings.ts); written directly, not through the log.
  [
    `CREATE TABLE category_settings (category VARCHAR PRIMARY KEY, paused BOOLEAN NOT NULL,
      max_running INTEGER NOT NULL, max_starts_per_second DOUBLE NOT NULL)`,
  ],
];

/** The schema version this build of gobq writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file's schema up to `SCHEMA_VERSION` in one transaction.
 * Throws `StoreOpenError` if the file was written by a newer gobq.
 */
export async function migrate(connection: DuckDBConnection, path: string): Promise<void> {
  await inTransaction(connection, async () => {
    await connection.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const rows = (await connection.runAndReadAll("SELECT max(version) FROM schema_version")).getRows();
    const stored = Number(rows[0]?.[0] ?? 0);
    if (stored > SCHEMA_VERSION) {
      throw new StoreOpenError(
        `cannot open store file "${path}": its schema version ${stored} is newer than this gobq supports (${SCHEMA_VERSION})`,
      );
    }
    for (let version = stored; version < SCHEMA_VERSION; version++) {
      for (const statement of MIGRATIONS[version] ?? []) await connection.run(statement);
    }
    if (stored < SCHEMA_VERSION) {
      await connection.run("DELETE FROM schema_version");
      await connection.run("INSERT INTO schema_version VALUES ($1)", [SCHEMA_VERSION]);
    }
  });
}
