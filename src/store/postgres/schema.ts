/**
 * The PostgreSQL schema of gobq and its migrations.
 *
 * Every object lives in one schema (default `gobq`), so several deployments can share a
 * database. `migrations` records which migrations ran; they run in order, in one
 * transaction, under an advisory lock, so replicas starting together do not race and an
 * older gobq refuses a schema a newer one upgraded.
 */
import pg from "pg";
import { StoreOpenError } from "../store.js";

/** The qualified names of one deployment's objects, quoted for SQL. */
export interface SchemaNames {
  schema: string;
  tasks: string;
  /** One row per category with settings, and its rate limit's token bucket. */
  categories: string;
  migrations: string;
  readySeq: string;
  /** The NOTIFY channel, as `pg_notify` takes it (unquoted). */
  channel: string;
}

/** The names in `schema`, which must already satisfy `storeSchemaProblem`. */
export function schemaNames(schema: string): SchemaNames {
  const quoted = pg.escapeIdentifier(schema);
  return {
    schema,
    tasks: `${quoted}.tasks`,
    categories: `${quoted}.categories`,
    migrations: `${quoted}.migrations`,
    readySeq: `${quoted}.ready_seq`,
    channel: `${schema}.tasks`,
  };
}

/** One migration: takes the schema from version `index` to `index + 1`. */
interface Migration {
  name: string;
  statements: (names: SchemaNames) => string[];
}

// Text compared or ordered (ids, names, categories, statuses) uses the "C" collation: byte
// order, as the other drivers order them, whatever the database's locale.
// JSON is `json`, not `jsonb`: jsonb refuses \u0000 in strings and reorders keys, and gobq
// never queries inside args, kwargs, result or the retry policy.
// `priority_rank` and `due_at` are derived, so that leasing and sweeping are index scans.
const MIGRATIONS: readonly Migration[] = [
  {
    name: "create tasks",
    statements: (n) => [
      `CREATE SEQUENCE ${n.readySeq} AS bigint`,
      `CREATE TABLE ${n.tasks} (
        id text COLLATE "C" PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        category text COLLATE "C" NOT NULL,
        priority text NOT NULL,
        status text COLLATE "C" NOT NULL,
        args json NOT NULL,
        kwargs json NOT NULL,
        result json,
        error_message text,
        error_type text,
        max_retries integer NOT NULL,
        retry_count integer NOT NULL,
        attempt integer NOT NULL,
        retry_policy json,
        progress double precision NOT NULL,
        progress_message text NOT NULL,
        created_at bigint NOT NULL,
        started_at bigint,
        completed_at bigint,
        run_at bigint,
        next_attempt_at bigint,
        timeout_ms bigint,
        idempotency_key text COLLATE "C",
        cancel_requested boolean NOT NULL,
        lease_worker_id text,
        lease_token text,
        lease_expires_at bigint,
        lease_duration_ms bigint,
        seq bigint NOT NULL,
        ready_seq bigint,
        ready_at bigint,
        priority_rank smallint GENERATED ALWAYS AS (
          CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'critical' THEN 3 END
        ) STORED,
        due_at bigint GENERATED ALWAYS AS (
          CASE
            WHEN status = 'started' THEN least(lease_expires_at, started_at + timeout_ms)
            WHEN status = 'retry' THEN next_attempt_at
            WHEN status = 'pending' AND ready_seq IS NULL THEN coalesce(run_at, 0)
          END
        ) STORED
      )`,
      `CREATE INDEX tasks_ready ON ${n.tasks} (category, priority_rank DESC, ready_seq)
        WHERE status = 'pending' AND ready_seq IS NOT NULL`,
      `CREATE INDEX tasks_due ON ${n.tasks} (due_at, id) WHERE due_at IS NOT NULL`,
      `CREATE INDEX tasks_idempotency_key ON ${n.tasks} (idempotency_key, id) WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX tasks_unfinished ON ${n.tasks} (id) WHERE status IN ('pending', 'started', 'retry')`,
      `CREATE INDEX tasks_finished ON ${n.tasks} (completed_at) WHERE status IN ('success', 'failed', 'cancelled')`,
      `CREATE INDEX tasks_category ON ${n.tasks} (category, id)`,
      `CREATE INDEX tasks_status ON ${n.tasks} (status, id)`,
    ],
  },
  {
    // A lease in a category with a row here locks the row (every replica's leases of the
    // category take turns) and counts STARTED tasks with tasks_started when max_running is set.
    // `tokens` as of `tokens_at` is the rate limit's bucket; NULL: full.
    name: "category settings",
    statements: (n) => [
      `CREATE TABLE ${n.categories} (
        category text COLLATE "C" PRIMARY KEY,
        paused boolean NOT NULL,
        max_running integer NOT NULL,
        max_starts_per_second double precision NOT NULL,
        tokens double precision,
        tokens_at bigint
      )`,
      `CREATE INDEX tasks_started ON ${n.tasks} (category) WHERE status = 'started'`,
    ],
  },
];

/** The schema version this build of gobq writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A migration that ran. */
export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * Creates the schema if missing and applies the migrations it lacks, in one transaction on
 * `client`. Returns those applied (none if it was up to date). Throws `StoreOpenError` if
 * a newer gobq migrated the schema. `describe` names the store in that message.
 */
export async function migrate(client: pg.ClientBase, names: SchemaNames, describe: string): Promise<AppliedMigration[]> {
  await client.query("BEGIN");
  try {
    // Transaction-scoped: released by COMMIT or ROLLBACK, and by the server if this connection dies.
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`gobq migrate ${names.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(names.schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${names.migrations} (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${names.migrations}`);
    const stored = rows[0]?.version ?? 0;
    if (stored > SCHEMA_VERSION) {
      throw new StoreOpenError(
        `cannot open store ${describe}: its schema version ${stored} is newer than this gobq supports (${SCHEMA_VERSION})`,
      );
    }
    const applied: AppliedMigration[] = [];
    for (let version = stored + 1; version <= SCHEMA_VERSION; version++) {
      const migration = MIGRATIONS[version - 1]!;
      for (const statement of migration.statements(names)) await client.query(statement);
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [version, migration.name]);
      applied.push({ version, name: migration.name });
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
