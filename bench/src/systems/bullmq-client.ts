/**
 * BullMQ's client face, set up as PEERS.md found it fastest: a Worker at concurrency 32
 * created with autorun off and started with run(); everything else default (completed
 * jobs stay in Redis).
 */
import { Queue, Worker, type Job } from "bullmq";
import type { ClientSide, Connection, JobInput, JobPayload } from "./system.js";

/** The job name every BullMQ job of the harness has. */
const JOB_NAME = "bench";

/**
 * BullMQ runs jobs *without* a priority before any prioritised job, and a lower number runs
 * sooner: so LOW and HIGH both get one, high=1 and low=10.
 */
export const BULLMQ_PRIORITY = { high: 1, low: 10 } as const;

/** The ioredis options BullMQ gets: its workers need `maxRetriesPerRequest: null`. */
export function redisConnection(conn: Connection) {
  return { host: String(conn["host"]), port: Number(conn["port"]), maxRetriesPerRequest: null };
}

function options(job: JobInput) {
  return job.priority ? { priority: BULLMQ_PRIORITY[job.priority] } : {};
}

/** BullMQ behind the harness's producer and worker interfaces. */
export const bullmqClient: ClientSide = {
  async createProducer(conn) {
    const queue = new Queue(String(conn["queue"]), { connection: redisConnection(conn), prefix: String(conn["prefix"]) });
    await queue.waitUntilReady();
    return {
      enqueue: async (job) => (await queue.add(JOB_NAME, job.payload, options(job))).id!,
      enqueueBulk: async (jobs) =>
        (await queue.addBulk(jobs.map((j) => ({ name: JOB_NAME, data: j.payload, opts: options(j) })))).map((j) => j.id!),
      close: () => queue.close(),
    };
  },

  async createWorker(conn, { concurrency, onJob }) {
    const worker = new Worker(
      String(conn["queue"]),
      async (job: Job<JobPayload>) => {
        onJob({ id: job.id!, payload: job.data });
      },
      { connection: redisConnection(conn), prefix: String(conn["prefix"]), concurrency, autorun: false },
    );
    worker.on("error", (err) => console.error(`bullmq worker error: ${err.message}`));
    await worker.waitUntilReady();
    return {
      start: async () => {
        void worker.run();
      },
      stop: () => worker.close(),
    };
  },
};
