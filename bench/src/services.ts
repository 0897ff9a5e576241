/**
 * The services the peers need — Redis for BullMQ, PostgreSQL for pg-boss and
 * graphile-worker — checked before anything runs: do they answer on loopback, and how do
 * they keep data (which is what the peers' durability amounts to). When one does not
 * answer, the result says how to start it, and the peers that need it are reported as not
 * run.
 */
import { userInfo } from "node:os";

/** Where the harness expects Redis. */
export const REDIS = { host: "127.0.0.1", port: 6379 } as const;
/** Where the harness expects PostgreSQL, and the database it uses there (created if missing). */
export const POSTGRES = { host: "127.0.0.1", port: 5432, database: "bench" } as const;

/** How to start each service on this kind of machine. */
export const HOW_TO_START = {
  redis: `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
  postgres: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
} as const;

/** A service that answered, with what it says about itself; or why not and how to start it. */
export type ServiceInfo<T> = ({ ok: true } & T) | { ok: false; reason: string; howToStart: string };

/** What Redis says about its persistence. */
export type RedisInfo = ServiceInfo<{ version: string; save: string; appendonly: string }>;

/** How to reach the `bench` database, and what PostgreSQL says about its durability. */
export type PostgresInfo = ServiceInfo<{
  version: string;
  user: string;
  connectionString: string;
  fsync: string;
  synchronousCommit: string;
}>;

function message(err: unknown): string {
  return err instanceof Error ? err.message || err.constructor.name : String(err);
}

/** Pings Redis (at `at`, default 127.0.0.1:6379) and reads its version and persistence settings. */
export async function probeRedis(at: { host: string; port: number } = REDIS): Promise<RedisInfo> {
  let Redis: typeof import("ioredis").Redis;
  try {
    ({ Redis } = await import("ioredis"));
  } catch (err) {
    return { ok: false, reason: `ioredis is not installed (npm install): ${message(err)}`, howToStart: "npm install" };
  }
  const redis = new Redis({
    ...at,
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  redis.on("error", (err) => (lastError = err)); // says why better than the failed connect does
  try {
    await redis.connect();
    await redis.ping();
    const info = await redis.info("server");
    const [, save = ""] = (await redis.config("GET", "save")) as string[];
    const [, appendonly = ""] = (await redis.config("GET", "appendonly")) as string[];
    return { ok: true, version: /redis_version:(\S+)/.exec(info)?.[1] ?? "?", save, appendonly };
  } catch (err) {
    return { ok: false, reason: `Redis at ${at.host}:${at.port} did not answer: ${message(lastError ?? err)}`, howToStart: HOW_TO_START.redis };
  } finally {
    redis.disconnect();
  }
}

/**
 * Finds a role that can log in (trust auth: `postgres`, else the OS user), creates the
 * `bench` database if missing, and reads the durability settings.
 */
export async function probePostgres(at: { host: string; port: number; database: string } = POSTGRES): Promise<PostgresInfo> {
  let pg: typeof import("pg").default;
  try {
    pg = (await import("pg")).default;
  } catch (err) {
    return { ok: false, reason: `pg is not installed (npm install): ${message(err)}`, howToStart: "npm install" };
  }
  const failures: string[] = [];
  for (const user of [...new Set(["postgres", userInfo().username])]) {
    const admin = new pg.Client({ host: at.host, port: at.port, user, database: "postgres", connectionTimeoutMillis: 2000 });
    admin.on("error", () => {});
    try {
      await admin.connect();
      const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [at.database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${at.database}`);
      const setting = async (name: string) => String((await admin.query(`SHOW ${name}`)).rows[0]?.[name] ?? "?");
      return {
        ok: true,
        user,
        version: await setting("server_version"),
        fsync: await setting("fsync"),
        synchronousCommit: await setting("synchronous_commit"),
        connectionString: `postgres://${encodeURIComponent(user)}@${at.host}:${at.port}/${at.database}`,
      };
    } catch (err) {
      failures.push(`as ${user}: ${message(err)}`);
    } finally {
      await admin.end().catch(() => {});
    }
  }
  return {
    ok: false,
    reason: `PostgreSQL at ${at.host}:${at.port} did not let us in (${failures.join("; ")})`,
    howToStart: HOW_TO_START.postgres,
  };
}

/** How Redis, as configured, keeps acknowledged jobs. */
export function redisDurability(info: RedisInfo): string {
  if (!info.ok) return "Redis not reachable";
  const onDisk = info.save !== "" || info.appendonly === "yes";
  return `Redis ${info.version} with save "${info.save}", appendonly ${info.appendonly}: ${
    onDisk ? "snapshots or an append-only file keep data on disk" : "nothing is written to disk, a Redis restart loses every job"
  }`;
}

/** How PostgreSQL, as configured, keeps acknowledged jobs. */
export function postgresDurability(info: PostgresInfo): string {
  if (!info.ok) return "PostgreSQL not reachable";
  const durable = info.fsync === "on" && info.synchronousCommit !== "off";
  return `PostgreSQL ${info.version} with fsync ${info.fsync}, synchronous_commit ${info.synchronousCommit}: ${
    durable ? "a job is on disk before its insert is acknowledged" : "a crash may lose recently acknowledged jobs"
  }`;
}
