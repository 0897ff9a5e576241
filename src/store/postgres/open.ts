/** Opening a PostgreSQL store: options, the pool, migrations. */
import pg from "pg";
import { DEFAULT_STORE_SCHEMA, describeStoreLocation, storeSchemaProblem } from "../location.js";
import type { SharedStore } from "../shared-store.js";
import { StoreOpenError } from "../store.js";
import { storeOpenError } from "./open-error.js";
import { createPostgresStore } from "./postgres-store.js";
import { migrate, schemaNames, SCHEMA_VERSION, type AppliedMigration, type SchemaNames } from "./schema.js";
import { isConnectionFailure } from "./transaction.js";
import { TYPE_PARSERS } from "./type-parsers.js";

/** Where a PostgreSQL store lives and how it connects. */
export interface PostgresStoreOptions {
  /** `postgres://USER[:PASSWORD]@HOST:PORT/DB` (or `postgresql://`), as `pg` reads it. No default. */
  url: string;
  /** The schema holding every table, created if missing; deployments sharing a database each use their own. Default "gobq". */
  schema?: string | undefined;
  /** Most pooled connections (the change listener uses one more). Default 10. */
  maxConnections?: number | undefined;
  /** Longest wait for a connection. Default 10000. */
  connectTimeoutMs?: number | undefined;
  /**
   * Longest a statement may run (or wait for a lock) before it fails, so that an unreachable
   * or stuck database surfaces as an error instead of a hang. Default 30000.
   */
  statementTimeoutMs?: number | undefined;
}

/** `PostgresStoreOptions` after defaults. */
export interface ResolvedPostgresStoreOptions {
  url: string;
  schema: string;
  maxConnections: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** What `migratePostgresStore` did. */
export interface PostgresMigration {
  /** The store, as it may be shown: the URL without password, and the schema. */
  store: string;
  /** Migrations applied now, in order; empty if the schema was up to date. */
  applied: AppliedMigration[];
  /** The schema version now. */
  version: number;
}

// A connection that stops answering entirely fails this long after the server's own timeout would have.
const QUERY_TIMEOUT_MARGIN_MS = 5_000;
// How often the change listener's connection is checked for a silent drop.
const LISTENER_CHECK_MS = 10_000;

/**
 * Opens the store: connects, creates the schema if missing and applies the migrations it
 * lacks. Throws `StoreOpenError` with one clear line (never the password) if the URL or
 * schema name is bad, the server cannot be reached or refuses, or a newer gobq migrated
 * the schema.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<SharedStore> {
  const resolved = resolveOptions(options);
  const { pool, names, describe } = await openMigratedPool(resolved);
  return createPostgresStore({
    pool,
    names,
    describe,
    listenerConfig: { ...clientConfig(resolved), application_name: `gobq listen ${resolved.schema}` },
    listenerCheckMs: LISTENER_CHECK_MS,
  });
}

/** Applies the migrations the store lacks (as opening it does) and disconnects. Throws as `openPostgresStore`. */
export async function migratePostgresStore(options: PostgresStoreOptions): Promise<PostgresMigration> {
  const resolved = resolveOptions(options);
  const { pool, describe, applied } = await openMigratedPool(resolved);
  await pool.end();
  return { store: describe, applied, version: SCHEMA_VERSION };
}

async function openMigratedPool(
  options: ResolvedPostgresStoreOptions,
): Promise<{ pool: pg.Pool; names: SchemaNames; describe: string; applied: AppliedMigration[] }> {
  const names = schemaNames(options.schema);
  const describe = describeStoreLocation({ kind: "postgres", url: options.url, schema: options.schema });
  const pool = new pg.Pool({ ...clientConfig(options), max: options.maxConnections });
  // An idle connection that drops is removed from the pool; unheard, its error would crash the process.
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      return { pool, names, describe, applied: await migrate(client, names, describe) };
    } catch (error) {
      if (isConnectionFailure(error)) broken = error;
      throw error;
    } finally {
      client.release(broken);
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw storeOpenError(describe, error);
  }
}

function clientConfig(options: ResolvedPostgresStoreOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    // Names the deployment in pg_stat_activity; the schema name is at most 48 characters, within the limit of 63.
    application_name: `gobq ${options.schema}`,
    types: TYPE_PARSERS,
  };
}

function resolveOptions(options: PostgresStoreOptions): ResolvedPostgresStoreOptions {
  const schema = options.schema ?? DEFAULT_STORE_SCHEMA;
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "postgres:" && url.protocol !== "postgresql:")) {
    // The text itself is left out: it may hold a password.
    throw new StoreOpenError("cannot open store: the PostgreSQL URL is not valid (expected postgres://USER@HOST:PORT/DB)");
  }
  const problem = storeSchemaProblem(schema);
  if (problem !== undefined) throw new StoreOpenError(`cannot open store: schema ${problem}`);
  return {
    url: options.url,
    schema,
    maxConnections: positive("maxConnections", options.maxConnections, 10),
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 10_000),
    statementTimeoutMs: positive("statementTimeoutMs", options.statementTimeoutMs, 30_000),
  };
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new StoreOpenError(`cannot open store: ${field} must be a positive integer, got ${value}`);
  return value;
}
