/** Shared-store conformance: taskModify saves what a change did, only when the change counts. */
import { describe, expect, it } from "vitest";
import { failAttempt, manualRetry, reportProgress } from "../../../task/transitions.js";
import { makeTask, newTaskId } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, lease, NOW } from "./steps.js";

/** Declares the taskModify tests. */
export function describeModify(cluster: FreshCluster): void {
  describe("taskModify", () => {
    it("saves the task when the change raises its seq, and hands back the change's value", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      await lease(store, "default");
      const result = await store.taskModify({ id: task!.id, now: NOW, change: (locked) => reportProgress(locked, 40, "copying") });
      expect(result?.value).toBe(true);
      expect(result?.task).toMatchObject({ progress: 40, progressMessage: "copying", seq: 3, status: "started" });
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(result?.task);
    });

    it("saves nothing when the change leaves the seq alone", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      const result = await store.taskModify({
        id: task!.id,
        now: NOW,
        change: (locked) => {
          locked.progressMessage = "not a transition";
          return "looked";
        },
      });
      expect(result?.value).toBe("looked");
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(task);
    });

    it("saves a lease the change replaced, though the seq stays (a heartbeat)", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      const [leased] = await lease(store, "default");
      const result = await store.taskModify({
        id: task!.id,
        now: NOW + 10,
        change: (locked) => void (locked.lease!.expiresAt += 5_000),
      });
      expect(result?.task).toStrictEqual({ ...leased, lease: { ...leased!.lease!, expiresAt: leased!.lease!.expiresAt + 5_000 } });
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(result?.task);
    });

    it("saves nothing and propagates the error when the change throws", async () => {
      const store = await cluster.open();
      const [task] = await enqueue(store, [makeTask()]);
      const call = store.taskModify({
        id: task!.id,
        now: NOW,
        change: (locked) => {
          reportProgress(locked, 50, "half");
          throw new Error("conflict");
        },
      });
      await expect(call).rejects.toThrow("conflict");
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(task);
    });

    it("is undefined for an id that is not stored", async () => {
      const store = await cluster.open();
      let called = false;
      const result = await store.taskModify({ id: newTaskId(), now: NOW, change: () => (called = true) });
      expect(result).toBeUndefined();
      expect(called).toBe(false);
    });

    it("gives a task it makes ready again the next readySeq", async () => {
      const store = await cluster.open();
      const [task, other] = await enqueue(store, [makeTask({ maxRetries: 0 }), makeTask()]);
      await lease(store, "default", { limit: 1 });
      await store.taskModify({ id: task!.id, now: NOW + 1, change: (t) => failAttempt(t, { message: "boom", type: "" }, true, NOW + 1, Math.random) });
      const retried = await store.taskModify({ id: task!.id, now: NOW + 2, change: manualRetry });
      expect(retried?.task).toMatchObject({ status: "pending", readyAt: NOW + 2 });
      expect(retried!.task.readySeq!).toBeGreaterThan(other!.readySeq!);
      expect(await store.taskGet({ id: task!.id })).toStrictEqual(retried?.task);
    });

    it("applies changes from two replicas to one task one after the other", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const [task] = await enqueue(one, [makeTask()]);
      await lease(one, "default");
      const bump = (store: typeof one) =>
        store.taskModify({ id: task!.id, now: NOW, change: (locked) => reportProgress(locked, locked.progress + 1, "") });
      await Promise.all(Array.from({ length: 20 }, (_, k) => bump(k % 2 === 0 ? one : two)));
      expect(await two.taskGet({ id: task!.id })).toMatchObject({ progress: 20, seq: 2 + 20 });
    });
  });
}
