/**
 * graphile-worker's client face, set up as its docs' Performance page and PEERS.md advise:
 * 32 concurrent jobs, a pool of 34, a local queue of 33, no batching delay on completion or
 * failure, the default pollInterval (new jobs arrive by LISTEN/NOTIFY), and the per-job
 * info log silenced (it would cost a console write per job).
 */
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import type { ClientSide, Connection, JobInput, JobPayload } from "./system.js";

/** The task identifier every graphile-worker job of the harness has. */
const TASK = "bench";

/** graphile-worker runs a lower number sooner. */
export const GRAPHILE_PRIORITY = { high: -10, low: 0 } as const;

/** The worker preset options beyond connection and schema. */
export const GRAPHILE_WORKER_OPTIONS = {
  concurrentJobs: 32,
  maxPoolSize: 34,
  localQueue: { size: 33 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
} as const;

/** Passes warnings and errors on; drops info and debug. */
export const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

function spec(job: JobInput) {
  return job.priority ? { priority: GRAPHILE_PRIORITY[job.priority] } : {};
}

/** graphile-worker behind the harness's producer and worker interfaces. */
export const graphileWorkerClient: ClientSide = {
  async createProducer(conn: Connection) {
    const utils = await makeWorkerUtils({ connectionString: String(conn["connectionString"]), schema: String(conn["schema"]), logger: quietLogger });
    await utils.withPgClient((client) => client.query("SELECT 1")); // opens a connection before the clock starts
    return {
      enqueue: async (job) => (await utils.addJob(TASK, job.payload, spec(job))).id,
      enqueueBulk: async (jobs) =>
        (await utils.addJobs(jobs.map((j) => ({ identifier: TASK, payload: j.payload, ...spec(j) })))).map((j) => j.id),
      close: async () => {
        await utils.release();
      },
    };
  },

  async createWorker(conn, { concurrency, onJob }) {
    if (concurrency !== GRAPHILE_WORKER_OPTIONS.concurrentJobs) {
      throw new Error(`graphile-worker is set up for concurrency ${GRAPHILE_WORKER_OPTIONS.concurrentJobs}, not ${concurrency}`);
    }
    let runner: Awaited<ReturnType<typeof run>> | undefined;
    return {
      start: async () => {
        runner = await run({
          noHandleSignals: true,
          taskList: {
            [TASK]: async (payload, helpers) => {
              onJob({ id: helpers.job.id, payload: payload as JobPayload });
            },
          },
          preset: {
            worker: {
              connectionString: String(conn["connectionString"]),
              schema: String(conn["schema"]),
              logger: quietLogger,
              ...GRAPHILE_WORKER_OPTIONS,
            },
          },
        });
      },
      stop: async () => {
        await runner?.stop();
      },
    };
  },
};
