/**
 * pg-boss's client face, set up as PEERS.md found it fastest: LISTEN/NOTIFY on, the queue
 * created with `notify: true` (by the harness), and one `work()` loop fetching batches of
 * 32 jobs. With its defaults (batch 1, 2 s polling) it processed 16 jobs/s.
 */
import { PgBoss, type Job } from "pg-boss";
import type { ClientSide, Connection, JobInput, JobPayload } from "./system.js";

/** pg-boss runs a higher number sooner. */
export const PG_BOSS_PRIORITY = { high: 10, low: 0 } as const;

/** The options of the one `work()` loop. */
export const PG_BOSS_WORK_OPTIONS = {
  batchSize: 32,
  localConcurrency: 1,
  burstWhenBatchFull: true,
  pollingIntervalSeconds: 0.5,
} as const;

/** A pg-boss instance on the run's schema, listening for NOTIFY; `start()` it before use. */
export function createBoss(conn: Connection): PgBoss {
  const boss = new PgBoss({ connectionString: String(conn["connectionString"]), schema: String(conn["schema"]), useListenNotify: true });
  boss.on("error", (err) => console.error(`pg-boss error: ${err instanceof Error ? err.message : String(err)}`));
  return boss;
}

function options(job: JobInput) {
  return job.priority ? { priority: PG_BOSS_PRIORITY[job.priority] } : {};
}

/** pg-boss behind the harness's producer and worker interfaces. */
export const pgBossClient: ClientSide = {
  async createProducer(conn) {
    const boss = await createBoss(conn).start();
    const queue = String(conn["queue"]);
    return {
      enqueue: async (job) => (await boss.send(queue, job.payload, options(job))) ?? "",
      enqueueBulk: async (jobs) => {
        await boss.insert(queue, jobs.map((j) => ({ data: j.payload, ...options(j) })));
        return [];
      },
      close: () => boss.stop({ graceful: false }),
    };
  },

  async createWorker(conn, { concurrency, onJob }) {
    const boss = await createBoss(conn).start();
    const queue = String(conn["queue"]);
    // localConcurrency 1 × batchSize 32 is the harness's concurrency 32.
    if (concurrency !== PG_BOSS_WORK_OPTIONS.batchSize * PG_BOSS_WORK_OPTIONS.localConcurrency) {
      throw new Error(`pg-boss is set up for concurrency ${PG_BOSS_WORK_OPTIONS.batchSize}, not ${concurrency}`);
    }
    return {
      start: async () => {
        await boss.work<JobPayload>(queue, PG_BOSS_WORK_OPTIONS, async (jobs: Job<JobPayload>[]) => {
          for (const job of jobs) onJob({ id: job.id, payload: job.data });
        });
      },
      stop: () => boss.stop({ graceful: true, timeout: 5_000 }),
    };
  },
};
