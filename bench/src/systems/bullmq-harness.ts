/** BullMQ's harness face: one queue under its own key prefix, obliterated before and after every run. */
import { Queue } from "bullmq";
import { cpuMsByName } from "../proc-stats.js";
import { REDIS, redisDurability, type RedisInfo } from "../services.js";
import { BULLMQ_PRIORITY, redisConnection } from "./bullmq-client.js";
import type { SystemHarness } from "./system.js";

/** Throws, saying why, if BullMQ cannot run here. */
export function createBullmqHarness(redis: RedisInfo): SystemHarness {
  if (!redis.ok) throw new Error(`${redis.reason}; start it with: ${redis.howToStart}`);
  const conn = { host: REDIS.host, port: REDIS.port, queue: "bench", prefix: "gobq-bench" };
  const queue = new Queue(conn.queue, { connection: redisConnection(conn), prefix: conn.prefix });
  // A run starts from nothing: no waiting, completed or prioritised job of an earlier run.
  const flush = () => queue.obliterate({ force: true });

  return {
    name: "bullmq",
    settings: [
      "BullMQ 6.7.0 with ioredis 6.0.0 (`maxRetriesPerRequest: null`)",
      "`new Worker(queue, fn, { concurrency: 32, autorun: false })` then `run()`; everything else default (completed jobs stay in Redis)",
      "producer: `queue.add` per job; bulk: `queue.addBulk`",
      `priorities: high=${BULLMQ_PRIORITY.high}, low=${BULLMQ_PRIORITY.low} (a lower number runs sooner; jobs without a priority would run before any prioritised one)`,
      "state between runs: `queue.obliterate({ force: true })`",
    ],
    durability: redisDurability(redis),
    async prepare() {
      await flush();
      return {
        conn,
        allFinished: async (expected) => (await queue.getCompletedCount()) >= expected,
        serverCpu: () => cpuMsByName(["redis-server"]),
        serverPeakKb: () => undefined,
        dispose: flush,
      };
    },
    close: () => queue.close(),
  };
}
