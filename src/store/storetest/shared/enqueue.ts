/** Shared-store conformance: enqueue assigns ready order and deduplicates by idempotency key, across replicas. */
import { describe, expect, it } from "vitest";
import { makeFullTask, makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, ids, NOW } from "./steps.js";

/** Declares the taskEnqueueMany tests. */
export function describeEnqueue(cluster: FreshCluster): void {
  describe("taskEnqueueMany", () => {
    it("stores the tasks as given, plus readySeq and readyAt for those ready now, in order", async () => {
      const store = await cluster.open();
      const given = [
        makeTask(),
        makeTask({ runAt: NOW + 10_000 }),
        makeTask({ runAt: NOW }),
        makeTask({ runAt: NOW - 5_000 }),
        makeFullTask({ status: "pending", lease: undefined, readySeq: undefined, readyAt: undefined, runAt: NOW + 1 }),
      ];
      const stored = await enqueue(store, given);
      expect(stored.map((task) => task.readyAt)).toStrictEqual([NOW, undefined, NOW, NOW, undefined]);
      const [a, , c, d] = stored.map((task) => task.readySeq);
      expect(stored[1]!.readySeq).toBeUndefined();
      expect(stored[4]!.readySeq).toBeUndefined();
      expect(a! < c! && c! < d!).toBe(true);
      stored.forEach((task, k) => expect(task).toStrictEqual({ ...given[k]!, readySeq: task.readySeq, readyAt: task.readyAt }));
      for (const task of stored) expect(await store.taskGet({ id: task.id })).toStrictEqual(task);
      // Later enqueues come later, whichever replica takes them.
      const [later] = await enqueue(await cluster.open(), [makeTask()]);
      expect(later!.readySeq!).toBeGreaterThan(d!);
    });

    it("returns the stored task for a key it has, and the earlier task for a key repeated in the call", async () => {
      const store = await cluster.open();
      const [first] = await enqueue(store, [makeTask({ idempotencyKey: "order-1" })]);
      const results = await store.taskEnqueueMany({
        now: NOW,
        tasks: [
          makeTask({ idempotencyKey: "order-1" }),
          makeTask({ idempotencyKey: "order-2" }),
          makeTask(),
          makeTask({ idempotencyKey: "order-2" }),
          makeTask(),
        ],
      });
      expect(results.map((result) => result.deduplicated)).toStrictEqual([true, false, false, true, false]);
      expect(results[0]!.task).toStrictEqual(first);
      expect(results[3]!.task).toStrictEqual(results[1]!.task);
      expect(results[3]!.task).not.toBe(results[1]!.task);
      expect(await store.taskList({ limit: 10 })).toHaveLength(4);
      expect(await store.taskGetByIdempotencyKey({ key: "order-2" })).toStrictEqual(results[1]!.task);
    });

    it("inserts one task per key when replicas enqueue the same keys at the same time", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const keys = Array.from({ length: 12 }, (_, k) => `key-${k}`);
      const batch = (order: string[]) => order.map((idempotencyKey) => makeTask({ idempotencyKey }));
      // Opposite key orders: a driver locking keys in call order would deadlock here.
      const calls = [
        one.taskEnqueueMany({ tasks: batch(keys), now: NOW }),
        two.taskEnqueueMany({ tasks: batch([...keys].reverse()), now: NOW }),
        one.taskEnqueueMany({ tasks: batch([...keys].reverse()), now: NOW }),
        two.taskEnqueueMany({ tasks: batch(keys), now: NOW }),
      ];
      const results = (await Promise.all(calls)).flat();
      for (const key of keys) {
        const forKey = results.filter((result) => result.task.idempotencyKey === key);
        expect(forKey).toHaveLength(4);
        expect(forKey.filter((result) => !result.deduplicated)).toHaveLength(1);
        expect(new Set(forKey.map((result) => result.task.id)).size).toBe(1);
      }
      const stored = await one.taskList({ limit: 100 });
      expect(stored).toHaveLength(keys.length);
      expect(new Set(stored.map((task) => task.idempotencyKey))).toStrictEqual(new Set(keys));
    });

    it("enqueues a thousand tasks in one call, all or nothing", async () => {
      const store = await cluster.open();
      const tasks = Array.from({ length: 1000 }, (_, k) => makeTask({ args: [k] }));
      const stored = await enqueue(store, tasks);
      expect(ids(stored)).toStrictEqual(ids(tasks));
      expect(await store.taskCountByCategoryAndStatus()).toStrictEqual([{ category: "default", status: "pending", count: 1000 }]);

      const bad = makeTask({ createdAt: 0.5 });
      const call = store.taskEnqueueMany({ tasks: [makeTask(), bad], now: NOW });
      await expect(call).rejects.toThrow(new RegExp(`^task ${bad.id}: createdAt must be `));
      expect(await store.taskCountByCategoryAndStatus()).toStrictEqual([{ category: "default", status: "pending", count: 1000 }]);
    });

    it("accepts an empty call", async () => {
      const store = await cluster.open();
      expect(await store.taskEnqueueMany({ tasks: [], now: NOW })).toStrictEqual([]);
    });
  });
}
