/** Shared-store conformance: taskModifyMany edits many tasks in one transaction, each edit on its own terms. */
import { describe, expect, it } from "vitest";
import { completeAttempt, reportProgress } from "../../../task/transitions.js";
import { makeTask, newTaskId } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, lease, NOW } from "./steps.js";

/** Declares the taskModifyMany tests. */
export function describeModifyMany(cluster: FreshCluster): void {
  describe("taskModifyMany", () => {
    it("applies edits in order, fails only the edit whose change throws, and says which ids are missing", async () => {
      const store = await cluster.open();
      const [a, b] = await enqueue(store, [makeTask(), makeTask()]);
      await lease(store, "default");
      const missing = newTaskId();
      const outcomes = await store.taskModifyMany({
        now: NOW + 5,
        edits: [
          { id: a!.id, change: (t) => reportProgress(t, 30, "a third") },
          { id: b!.id, change: (t) => reportProgress(t, 99, "never") },
          { id: missing, change: () => "unreached" },
          { id: a!.id, change: (t) => (completeAttempt(t, "done", NOW + 5), t.progressMessage) },
          {
            id: b!.id,
            change: () => {
              throw new Error("refused");
            },
          },
        ],
      });
      expect(outcomes[0]).toMatchObject({ value: true, task: { progress: 30, status: "started" } });
      expect(outcomes[2]).toBeUndefined();
      expect(outcomes[3]).toMatchObject({ value: "a third", task: { status: "success", result: "done" } });
      expect(outcomes[4]).toEqual({ error: new Error("refused") });
      expect(await store.taskGet({ id: a!.id })).toMatchObject({ status: "success", progress: 100 });
      // b: its first edit stands, the throwing one changed nothing.
      expect(await store.taskGet({ id: b!.id })).toMatchObject({ status: "started", progress: 99, progressMessage: "never" });
    });

    it("never deadlocks when two stores edit the same tasks in opposite orders", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const tasks = await enqueue(one, Array.from({ length: 20 }, () => makeTask()));
      await lease(one, "default");
      const bump = (t: Parameters<typeof reportProgress>[0]) => reportProgress(t, (t.progress + 1) % 100, "");
      const forward = tasks.map((t) => ({ id: t.id, change: bump }));
      const backward = [...forward].reverse();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? one : two).taskModifyMany({ now: NOW, edits: i % 2 ? forward : backward }),
        ),
      );
      for (const t of tasks) expect((await one.taskGet({ id: t.id }))?.progress).toBe(10);
    });
  });
}
