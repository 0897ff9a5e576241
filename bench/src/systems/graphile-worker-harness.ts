/** graphile-worker's harness face: its schema dropped and migrated anew before every run. */
import pg from "pg";
import { runMigrations } from "graphile-worker";
import { cpuMsByName } from "../proc-stats.js";
import { postgresDurability, type PostgresInfo } from "../services.js";
import { GRAPHILE_PRIORITY, GRAPHILE_WORKER_OPTIONS, quietLogger } from "./graphile-worker-client.js";
import type { SystemHarness } from "./system.js";

const SCHEMA = "bench_graphile";

/** Throws, saying why, if graphile-worker cannot run here. */
export function createGraphileWorkerHarness(postgres: PostgresInfo): SystemHarness {
  if (!postgres.ok) throw new Error(`${postgres.reason}; start it with: ${postgres.howToStart}`);
  const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  const conn = { connectionString: postgres.connectionString, schema: SCHEMA };
  const drop = async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  };
  const o = GRAPHILE_WORKER_OPTIONS;

  return {
    name: "graphile-worker",
    settings: [
      `graphile-worker 0.18.0: \`concurrentJobs: ${o.concurrentJobs}, maxPoolSize: ${o.maxPoolSize}, localQueue: { size: ${o.localQueue.size} }, completeJobBatchDelay: ${o.completeJobBatchDelay}, failJobBatchDelay: ${o.failJobBatchDelay}\`, default pollInterval (new jobs arrive by LISTEN/NOTIFY)`,
      "per-job info log silenced (a logger that passes on only warnings and errors)",
      "producer: `addJob` per job; bulk: `addJobs` (worker utils, default pool)",
      `priorities: high=${GRAPHILE_PRIORITY.high}, low=${GRAPHILE_PRIORITY.low} (a lower number runs sooner); with the local queue, priority is honoured only between fetched batches`,
      `state between runs: \`DROP SCHEMA ${SCHEMA} CASCADE\`, then \`runMigrations\``,
    ],
    durability: postgresDurability(postgres),
    async prepare() {
      await drop();
      await runMigrations({ connectionString: postgres.connectionString, schema: SCHEMA, logger: quietLogger });
      return {
        conn,
        // Finished jobs are deleted: all finished once none is left.
        async allFinished() {
          const r = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}._private_jobs`);
          return (r.rows[0]?.n ?? 1) === 0;
        },
        serverCpu: () => cpuMsByName(["postgres"]),
        serverPeakKb: () => undefined,
        dispose: drop,
      };
    },
    close: () => pool.end(),
  };
}
