/** Shared-store conformance: due tasks are swept exactly once, and become ready in due order. */
import { describe, expect, it } from "vitest";
import type { Task } from "../../../task/task.js";
import { failAttempt, LEASE_EXPIRED_ERROR } from "../../../task/transitions.js";
import { makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, ids, lease, NOW } from "./steps.js";

/** A sweep change that moves RETRY back to PENDING (the store gives it its readySeq). */
function retryToPending(task: Task): void {
  if (task.status !== "retry") return;
  task.status = "pending";
  task.nextAttemptAt = undefined;
  task.seq += 1;
}

/** Declares the taskSweepDue and taskNextDueAt tests. */
export function describeSweep(cluster: FreshCluster): void {
  describe("taskSweepDue", () => {
    it("makes a delayed task ready when its runAt comes, not before", async () => {
      const store = await cluster.open();
      const [delayed] = await enqueue(store, [makeTask({ runAt: NOW + 10_000 })]);
      const [ready] = await enqueue(store, [makeTask()], NOW + 1);
      expect(await store.taskSweepDue({ now: NOW + 9_999, limit: 10, change: () => undefined })).toStrictEqual([]);
      const swept = await store.taskSweepDue({ now: NOW + 10_000, limit: 10, change: () => undefined });
      expect(swept).toStrictEqual([{ ...delayed!, readyAt: NOW + 10_000, readySeq: swept[0]?.readySeq }]);
      expect(swept[0]!.readySeq!).toBeGreaterThan(ready!.readySeq!);
      expect(await store.taskGet({ id: delayed!.id })).toStrictEqual(swept[0]);
      expect(ids(await lease(store, "default"))).toStrictEqual(ids([ready!, delayed!]));
    });

    it("sweeps expired leases, timeouts and finished backoffs, earliest due first", async () => {
      const store = await cluster.open();
      const [expiring, timing, retrying] = await enqueue(store, [makeTask(), makeTask({ timeoutMs: 500 }), makeTask()]);
      await lease(store, "default", { leaseMs: 2_000 });
      const fail = (task: Task) => failAttempt(task, LEASE_EXPIRED_ERROR, true, NOW, () => 0.5);
      await store.taskModify({ id: retrying!.id, now: NOW, change: fail });
      // Due: timing at +500, retrying at +1000 (default backoff), expiring at +2000.
      const seen: string[] = [];
      const sweep = (now: number) => store.taskSweepDue({ now, limit: 10, change: (task) => void seen.push(task.id) });
      expect(await sweep(NOW + 499)).toStrictEqual([]);
      expect(seen).toStrictEqual([]);
      await sweep(NOW + 2_000);
      expect(seen).toStrictEqual(ids([timing!, retrying!, expiring!]));
    });

    it("saves every task it hands to change, giving those now PENDING their readySeq", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      await lease(store, "default", { leaseMs: 1_000 });
      await store.taskModify({ id: task!.id, now: NOW, change: (t) => failAttempt(t, LEASE_EXPIRED_ERROR, true, NOW, () => 0.5) });
      const retrying = await store.taskGet({ id: task!.id });
      expect(await store.taskSweepDue({ now: NOW + 1_000, limit: 10, change: () => undefined })).toStrictEqual([retrying]);
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(retrying);
      const [swept] = await store.taskSweepDue({ now: NOW + 1_000, limit: 10, change: retryToPending });
      expect(swept).toMatchObject({ id: task!.id, status: "pending", readyAt: NOW + 1_000, seq: retrying!.seq + 1 });
      expect(swept!.readySeq).toBeGreaterThan(task!.readySeq!);
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(swept);
    });

    it("hands each expired lease to exactly one of two replicas sweeping at once", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const enqueued = await enqueue(one, Array.from({ length: 200 }, () => makeTask()));
      await lease(one, "default", { limit: 200, leaseMs: 1_000 });
      const seen: string[] = [];
      const loop = async (store: typeof one): Promise<void> => {
        for (;;) {
          const swept = await store.taskSweepDue({
            now: NOW + 1_000,
            limit: 9,
            change: (task) => {
              seen.push(task.id);
              failAttempt(task, LEASE_EXPIRED_ERROR, false, NOW + 1_000, Math.random);
            },
          });
          if (swept.length === 0) return;
        }
      };
      await Promise.all([one, two, one, two].map(loop));
      expect(seen).toHaveLength(200);
      expect(new Set(seen)).toStrictEqual(new Set(ids(enqueued)));
      expect(await two.taskCountByCategoryAndStatus()).toStrictEqual([{ category: "default", status: "failed", count: 200 }]);
    });

    it("propagates an error of the change and saves nothing of the call", async () => {
      const store = await cluster.open();
      const tasks = await enqueue(store, [makeTask({ runAt: NOW + 1 }), makeTask({ runAt: NOW + 2 })]);
      let calls = 0;
      const call = store.taskSweepDue({
        now: NOW + 2,
        limit: 10,
        change: () => {
          if (++calls === 2) throw new Error("stop");
        },
      });
      await expect(call).rejects.toThrow("stop");
      for (const task of tasks) expect(await store.taskGet({ id: task.id })).toStrictEqual(task);
    });
  });

  describe("taskNextDueAt", () => {
    it("is the earliest runAt, lease expiry, timeout or backoff end; undefined when nothing waits", async () => {
      const store = await cluster.open();
      expect(await store.taskNextDueAt()).toBeUndefined();
      await enqueue(store, [makeTask(), makeTask({ status: "success" })]);
      expect(await store.taskNextDueAt()).toBeUndefined();
      await enqueue(store, [makeTask({ runAt: NOW + 50_000 })]);
      expect(await store.taskNextDueAt()).toBe(NOW + 50_000);
      await lease(store, "default", { leaseMs: 40_000 });
      expect(await store.taskNextDueAt()).toBe(NOW + 40_000);
      const [timed] = await enqueue(store, [makeTask({ category: "timed", timeoutMs: 30_000 })]);
      await lease(store, "timed", { leaseMs: 60_000 });
      expect(await store.taskNextDueAt()).toBe(NOW + 30_000);
      await store.taskModify({ id: timed!.id, now: NOW, change: (t) => failAttempt(t, LEASE_EXPIRED_ERROR, true, NOW, () => 0.5) });
      expect(await store.taskNextDueAt()).toBe(NOW + 1_000);
    });
  });
}
