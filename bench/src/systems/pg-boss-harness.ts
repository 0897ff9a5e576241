/** pg-boss's harness face: its schema dropped and created anew, with the queue, before every run. */
import pg from "pg";
import { cpuMsByName } from "../proc-stats.js";
import { postgresDurability, type PostgresInfo } from "../services.js";
import { createBoss, PG_BOSS_PRIORITY, PG_BOSS_WORK_OPTIONS } from "./pg-boss-client.js";
import type { SystemHarness } from "./system.js";

const SCHEMA = "bench_pgboss";
const QUEUE = "bench";

/** Throws, saying why, if pg-boss cannot run here. */
export function createPgBossHarness(postgres: PostgresInfo): SystemHarness {
  if (!postgres.ok) throw new Error(`${postgres.reason}; start it with: ${postgres.howToStart}`);
  const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  const conn = { connectionString: postgres.connectionString, schema: SCHEMA, queue: QUEUE };
  const drop = async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  };

  return {
    name: "pg-boss",
    settings: [
      "pg-boss 12.38.0: `new PgBoss({ connectionString, schema, useListenNotify: true })`, queue created with `{ notify: true }`",
      `one \`work()\` loop with \`{ batchSize: ${PG_BOSS_WORK_OPTIONS.batchSize}, localConcurrency: ${PG_BOSS_WORK_OPTIONS.localConcurrency}, burstWhenBatchFull: ${PG_BOSS_WORK_OPTIONS.burstWhenBatchFull}, pollingIntervalSeconds: ${PG_BOSS_WORK_OPTIONS.pollingIntervalSeconds} }\``,
      "producer: `send` per job; bulk: `insert`",
      `priorities: high=${PG_BOSS_PRIORITY.high}, low=${PG_BOSS_PRIORITY.low} (a higher number runs sooner)`,
      `state between runs: \`DROP SCHEMA ${SCHEMA} CASCADE\`, then pg-boss installs it again`,
    ],
    durability: postgresDurability(postgres),
    async prepare() {
      await drop();
      const boss = await createBoss(conn).start();
      await boss.createQueue(QUEUE, { notify: true });
      await boss.stop({ graceful: false });
      return {
        conn,
        async allFinished(expected) {
          const r = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.job WHERE name = $1 AND state = 'completed'`, [QUEUE]);
          return (r.rows[0]?.n ?? 0) >= expected;
        },
        serverCpu: () => cpuMsByName(["postgres"]),
        serverPeakKb: () => undefined,
        dispose: drop,
      };
    },
    close: () => pool.end(),
  };
}
