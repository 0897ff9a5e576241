/** The scheduler's overload limits: what holds a watcher or poller slot, and when it is given back. */
import { describe, expect, it } from "vitest";
import { ResourceExhaustedError } from "../task/errors.js";
import { createMemoryStore } from "../store/memory/index.js";
import { Scheduler } from "./scheduler.js";

const input = { name: "job", category: undefined, priority: undefined, args: undefined, kwargs: undefined, maxRetries: undefined };
const job = { ...input, runAt: undefined, timeoutMs: undefined, idempotencyKey: undefined, retryPolicy: undefined };

describe("overload limits in the scheduler", () => {
  it("holds no slot for a caller gone before its call began (a client that cancels at once)", async () => {
    const s = await Scheduler.open({ store: createMemoryStore(), overload: { maxWatchers: 1, maxPollers: 1 } });
    try {
      const gone = AbortSignal.abort();
      const { task } = await s.enqueue(job);
      s.watchAll(undefined, gone);
      expect(s.load().watchers).toBe(0);
      expect(await s.watch(task.id, 0, gone).next()).toEqual({ done: true, value: undefined });
      expect(await s.lease({ category: "idle", workerId: "w", maxTasks: 1, leaseMs: 30_000, waitMs: 10_000 }, gone)).toEqual([]);
      expect(s.load()).toEqual({ watchers: 0, pollers: 0, bufferedWatchEvents: 0 });
      // The one slot of each is still free.
      const sub = s.watchAll(undefined);
      expect(() => s.watchAll("other")).toThrow(ResourceExhaustedError);
      sub.close();
    } finally {
      await s.stop();
    }
  });

  it("hands a concurrent enqueue of the same idempotency key no task when the one holding the key is refused", async () => {
    const s = await Scheduler.open({ store: createMemoryStore(), overload: { maxQueued: 1 } });
    try {
      await s.enqueue(job);
      const keyed = { ...job, idempotencyKey: "k" };
      const [first, second] = await Promise.allSettled([s.enqueue(keyed), s.enqueue(keyed)]);
      expect(first).toMatchObject({ status: "rejected", reason: { reason: "RESOURCE_EXHAUSTED" } });
      // Not the refused call's task, which was never stored: an error to retry.
      expect(second).toMatchObject({ status: "rejected", reason: { reason: "UNAVAILABLE" } });
      expect(s.stats().total).toBe(1);
    } finally {
      await s.stop();
    }
  });
});
