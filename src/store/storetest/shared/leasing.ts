/** Shared-store conformance: leasing order, the names filter, and replicas leasing at once. */
import { describe, expect, it } from "vitest";
import type { Task, TaskPriority } from "../../../task/task.js";
import { makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, ids, lease, NOW } from "./steps.js";

/** Declares the taskLeaseMany tests. */
export function describeLeasing(cluster: FreshCluster): void {
  describe("taskLeaseMany", () => {
    it("leases the highest priority first, then in enqueue order, and starts each task", async () => {
      const store = await cluster.open();
      const make = (priority: TaskPriority): Task => makeTask({ category: "mail", priority });
      const first = await enqueue(store, ["normal", "low", "critical", "normal", "high", "critical", "low", "normal"].map((p) => make(p as TaskPriority)));
      const second = await enqueue(store, [make("high"), make("normal")], NOW + 1);
      await enqueue(store, [makeTask({ category: "video", priority: "critical" })]);
      const [a, b, c, d, e, f, g, h] = first;
      const [i, j] = second;

      const leased: Task[] = [];
      for (let batch = await lease(store, "mail", { limit: 3 }); batch.length > 0; batch = await lease(store, "mail", { limit: 3 })) {
        expect(batch.length).toBeLessThanOrEqual(3);
        leased.push(...batch);
      }
      expect(ids(leased)).toStrictEqual(ids([c!, f!, e!, i!, a!, d!, h!, j!, b!, g!]));
      for (const task of leased) {
        expect(task).toMatchObject({ status: "started", attempt: 1, seq: 2, readySeq: undefined, startedAt: NOW });
        expect(task.lease).toStrictEqual({ workerId: "worker-1", token: `token-${task.id}`, expiresAt: NOW + 30_000, durationMs: 30_000 });
        expect(await store.taskGet({ id: task.id })).toStrictEqual(task);
      }
      expect(await lease(store, "mail")).toStrictEqual([]);
    });

    it("keeps first-in first-out exactly within a priority, across many enqueues", async () => {
      const store = await cluster.open();
      const enqueued: Task[] = [];
      for (let call = 0; call < 8; call++) {
        enqueued.push(...(await enqueue(store, Array.from({ length: 25 }, () => makeTask()), NOW + call)));
      }
      const readySeqs = enqueued.map((task) => task.readySeq!);
      expect(readySeqs.every((seq, k) => k === 0 || seq > readySeqs[k - 1]!)).toBe(true);
      const leased: Task[] = [];
      for (let batch = await lease(store, "default", { limit: 16 }); batch.length > 0; batch = await lease(store, "default", { limit: 16 })) {
        leased.push(...batch);
      }
      expect(ids(leased)).toStrictEqual(ids(enqueued));
    });

    it("leases only tasks with one of the names asked for; no names means any", async () => {
      const store = await cluster.open();
      const [a, b, c, d] = await enqueue(store, ["resize", "upload", "crop", "resize"].map((name) => makeTask({ name })));
      expect(ids(await lease(store, "default", { names: ["resize", "crop"], limit: 2 }))).toStrictEqual(ids([a!, c!]));
      expect(ids(await lease(store, "default", { names: ["crop", "resize"] }))).toStrictEqual(ids([d!]));
      expect(await lease(store, "default", { names: ["nothing"] })).toStrictEqual([]);
      expect(ids(await lease(store, "default", { names: [] }))).toStrictEqual(ids([b!]));
      await enqueue(store, [makeTask({ name: "late" })]);
      expect(await lease(store, "default", { names: undefined })).toHaveLength(1);
    });

    it("leases nothing that is not ready: scheduled, started, finished or in another category", async () => {
      const store = await cluster.open();
      await enqueue(store, [
        makeTask({ runAt: NOW + 1 }),
        makeTask({ category: "other" }),
        makeTask({ status: "retry", nextAttemptAt: NOW - 1 }),
        makeTask({ status: "success" }),
      ]);
      expect(await lease(store, "default")).toStrictEqual([]);
    });

    it("saves nothing and propagates the error when start throws", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      const failing = store.taskLeaseMany({
        category: "default",
        names: undefined,
        limit: 1,
        now: NOW,
        start: (locked) => {
          locked.status = "started";
          locked.seq += 1;
          throw new Error("refused");
        },
      });
      await expect(failing).rejects.toThrow("refused");
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(task);
      expect(ids(await lease(store, "default"))).toStrictEqual(ids([task!]));
    });

    it("never gives one task to two replicas leasing at the same time", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const enqueued = await enqueue(one, Array.from({ length: 500 }, (_, k) => makeTask({ priority: k % 3 === 0 ? "high" : "normal" })));
      const byReplica = new Map<typeof one, string[]>([[one, []], [two, []]]);
      const loop = async (store: typeof one): Promise<void> => {
        for (;;) {
          const batch = await lease(store, "default", { limit: 7 });
          if (batch.length === 0) return;
          byReplica.get(store)!.push(...ids(batch));
        }
      };
      await Promise.all([one, two, one, two, one, two, one, two].map(loop));
      const leased = [...byReplica.get(one)!, ...byReplica.get(two)!];
      expect(leased).toHaveLength(500);
      expect(new Set(leased)).toStrictEqual(new Set(ids(enqueued)));
      expect(byReplica.get(one)!.length).toBeGreaterThan(0);
      expect(byReplica.get(two)!.length).toBeGreaterThan(0);
      const counts = await two.taskCountByCategoryAndStatus();
      expect(counts).toStrictEqual([{ category: "default", status: "started", count: 500 }]);
      // A task started twice would have attempt 2.
      const stored = await two.taskListUnfinished({ limit: 1000 });
      expect(stored.filter((task) => task.attempt !== 1)).toStrictEqual([]);
    });

    it("refuses a limit below 1", async () => {
      const store = await cluster.open();
      await expect(lease(store, "default", { limit: 0 })).rejects.toThrow(RangeError);
    });
  });
}
