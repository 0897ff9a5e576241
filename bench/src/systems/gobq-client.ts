/**
 * gobq's client face: the SDK as users use it, with its defaults, to a separate server process.
 * The producer's TaskClient gathers concurrent `enqueue` calls into EnqueueTasks calls by
 * itself (that is the SDK's design, not a harness trick); `enqueueMany` is the bulk call.
 */
import { TaskClient, Worker, type JsonObject } from "@gobq/sdk";
import type { ClientSide, Connection, JobInput, JobPayload } from "./system.js";

/** The task name every gobq job of the harness has. */
export const GOBQ_TASK = "bench";

/** Worker settings stated in the output; everything else is the SDK's default. */
export const GOBQ_WORKER_SETTINGS = "new Worker({ baseUrl, category, concurrency: 32 }) (lease 30 s, long-poll 30 s: SDK defaults)";

function kwargsOf(payload: JobPayload): JsonObject {
  const out: JsonObject = { i: payload.i, to: payload.to };
  if (payload.t !== undefined) out["t"] = payload.t;
  if (payload.high !== undefined) out["high"] = payload.high;
  return out;
}

function item(job: JobInput, category: string) {
  return { name: GOBQ_TASK, category, kwargs: kwargsOf(job.payload), ...(job.priority ? { priority: job.priority } : {}) };
}

/** The servers of a run: `baseUrl`, or several separated by commas (replicas). */
function baseUrls(conn: Connection): string[] {
  return String(conn["baseUrl"]).split(",");
}

/** The gobq SDK behind the harness's producer and worker interfaces. */
export const gobqClient: ClientSide = {
  async createProducer(conn: Connection) {
    const clients = baseUrls(conn).map((baseUrl) => new TaskClient({ baseUrl }));
    const category = String(conn["category"]);
    await Promise.all(clients.map((c) => c.stats())); // opens the HTTP/2 sessions before the clock starts
    let turn = 0;
    // With several replicas, calls go to each in turn, as behind a round-robin balancer.
    const next = () => clients[turn++ % clients.length]!;
    return {
      enqueue: async (job) => {
        const { name, ...options } = item(job, category);
        return (await next().enqueue(name, options)).id;
      },
      enqueueBulk: async (jobs) => (await next().enqueueMany(jobs.map((j) => item(j, category)))).map((t) => t.id),
      close: async () => {},
    };
  },

  async createWorker(conn, { concurrency, onJob }) {
    // With several replicas, the slots are shared out among one Worker per replica.
    const urls = baseUrls(conn);
    const workers = urls.map(
      (baseUrl, i) =>
        new Worker({
          baseUrl,
          category: String(conn["category"]),
          concurrency: Math.floor(concurrency / urls.length) + (i < concurrency % urls.length ? 1 : 0),
        }),
    );
    for (const worker of workers) {
      worker.register(GOBQ_TASK, ({ task, kwargs }) => {
        onJob({ id: task.id, payload: kwargs as unknown as JobPayload });
      });
    }
    return {
      start: async () => void (await Promise.all(workers.map((w) => w.start()))),
      stop: async () => void (await Promise.all(workers.map((w) => w.stop({ graceMs: 5_000 })))),
    };
  },
};
