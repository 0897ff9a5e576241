/** Shared-store conformance: ready and scheduled counts per category. */
import { describe, expect, it } from "vitest";
import { failAttempt, LEASE_EXPIRED_ERROR } from "../../../task/transitions.js";
import { makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, lease, NOW } from "./steps.js";

/** Declares the taskQueueCounts tests. */
export function describeQueueCounts(cluster: FreshCluster): void {
  describe("taskQueueCounts", () => {
    it("counts ready tasks by priority, the oldest ready time and scheduled tasks, per category", async () => {
      const store = await cluster.open();
      expect(await store.taskQueueCounts()).toStrictEqual([]);
      await enqueue(store, [makeTask({ category: "mail", priority: "normal" }), makeTask({ category: "mail", priority: "critical" })], NOW + 5);
      await enqueue(store, [makeTask({ category: "mail", priority: "normal" }), makeTask({ category: "mail", priority: "low" })], NOW + 9);
      await enqueue(store, [makeTask({ category: "mail", runAt: NOW + 60_000 }), makeTask({ category: "audio", runAt: NOW + 60_000 })]);
      const [failing] = await enqueue(store, [makeTask({ category: "video" })]);
      await enqueue(store, [makeTask({ category: "video" }), makeTask({ category: "done", status: "success" })]);
      await lease(store, "video");
      await store.taskModify({ id: failing!.id, now: NOW, change: (t) => failAttempt(t, LEASE_EXPIRED_ERROR, true, NOW, () => 0.5) });

      expect(await store.taskQueueCounts()).toStrictEqual([
        { category: "audio", readyByRank: [0, 0, 0, 0], oldestReadyAt: undefined, scheduled: 1 },
        { category: "mail", readyByRank: [1, 2, 0, 1], oldestReadyAt: NOW + 5, scheduled: 1 },
        { category: "video", readyByRank: [0, 0, 0, 0], oldestReadyAt: undefined, scheduled: 1 },
      ]);
      await lease(store, "mail", { limit: 1 });
      const [, mail] = await store.taskQueueCounts();
      expect(mail).toStrictEqual({ category: "mail", readyByRank: [1, 2, 0, 0], oldestReadyAt: NOW + 5, scheduled: 1 });
    });
  });
}
