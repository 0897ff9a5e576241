/** Shared-store conformance: pause and limits hold across replicas leasing the same category. */
import { describe, expect, it } from "vitest";
import type { CategorySettings } from "../../../task/category-settings.js";
import { completeAttempt } from "../../../task/transitions.js";
import type { SharedStore, TaskLeaseManyParams } from "../../shared-store.js";
import { makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, eventually, lease, NOW } from "./steps.js";

type Held = Parameters<NonNullable<TaskLeaseManyParams["onHeld"]>>[0];

/** Leases like `lease`, also returning what `onHeld` was told, if anything. */
async function leaseHeld(store: SharedStore, options: Parameters<typeof lease>[2] = {}): Promise<{ count: number; held: Held | undefined }> {
  let held: Held | undefined;
  const tasks = await lease(store, "default", { ...options, onHeld: (h) => (held = h) });
  return { count: tasks.length, held };
}

/** Declares the tests of pause and limits across replicas. */
export function describeCategoryLimits(cluster: FreshCluster): void {
  describe("taskLeaseMany with category settings", () => {
    it("leases nothing of a paused category on any replica, and leases again once resumed", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      await enqueue(one, [makeTask(), makeTask(), makeTask({ category: "other" })]);
      await one.categoryUpdate({ category: "default", paused: true });
      expect(await leaseHeld(two)).toStrictEqual({ count: 0, held: { reason: "paused", retryAt: undefined } });
      expect(await lease(two, "other")).toHaveLength(1); // other categories are not held
      await two.categoryUpdate({ category: "default", paused: false });
      expect(await leaseHeld(one)).toStrictEqual({ count: 2, held: undefined });
    });

    it("counts the started tasks of every replica against max running", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      await enqueue(one, Array.from({ length: 10 }, () => makeTask()));
      await two.categoryUpdate({ category: "default", maxRunning: 3 });
      expect(await leaseHeld(one, { limit: 2 })).toStrictEqual({ count: 2, held: undefined });
      expect((await leaseHeld(two, { limit: 5 })).count).toBe(1);
      const full = await leaseHeld(one, { limit: 5 });
      expect(full).toStrictEqual({ count: 0, held: { reason: "running", retryAt: undefined } });
      const [started] = await one.taskList({ status: "started", limit: 1 });
      await two.taskModify({ id: started!.id, now: NOW, change: (t) => completeAttempt(t, null, NOW) });
      expect((await leaseHeld(one, { limit: 5 })).count).toBe(1);
      expect(await one.taskCountByCategoryAndStatus()).toContainEqual({ category: "default", status: "started", count: 3 });
    });

    it("never passes max running while replicas lease at the same time", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      await enqueue(one, Array.from({ length: 60 }, () => makeTask()));
      await one.categoryUpdate({ category: "default", maxRunning: 7 });
      const results = await Promise.all([one, two, one, two, one, two, one, two].map((store) => lease(store, "default", { limit: 3 })));
      expect(results.reduce((sum, tasks) => sum + tasks.length, 0)).toBe(7);
      expect(await two.taskCountByCategoryAndStatus()).toContainEqual({ category: "default", status: "started", count: 7 });
    });

    it("draws every replica's leases from one rate bucket, refilled with time", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      await enqueue(one, Array.from({ length: 10 }, () => makeTask()));
      await one.categoryUpdate({ category: "default", maxStartsPerSecond: 4 });
      expect((await leaseHeld(one, { limit: 3 })).count).toBe(3);
      expect((await leaseHeld(two, { limit: 3 })).count).toBe(1);
      expect(await leaseHeld(one, { limit: 3, now: NOW + 100 })).toStrictEqual({ count: 0, held: { reason: "rate", retryAt: NOW + 250 } });
      expect((await leaseHeld(two, { limit: 3, now: NOW + 250 })).count).toBe(1);
      expect((await leaseHeld(one, { limit: 3, now: NOW + 10_000 })).count).toBe(3); // a burst of at most the rate
      expect((await leaseHeld(two, { limit: 3, now: NOW + 10_000 })).count).toBe(1);
    });

    it("announces a change of settings to every replica", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const heard: CategorySettings[] = [];
      await one.listen({ onChanges: () => undefined, onGap: () => undefined, onCategory: (s) => heard.push(s) });
      await two.categoryUpdate({ category: "video", paused: true, maxStartsPerSecond: 0.5 });
      await two.categoryUpdate({ category: "video", paused: false, maxStartsPerSecond: 0 });
      await eventually("both changes", () => heard.length === 2);
      expect(heard).toStrictEqual([
        { category: "video", paused: true, maxRunning: 0, maxStartsPerSecond: 0.5 },
        { category: "video", paused: false, maxRunning: 0, maxStartsPerSecond: 0 },
      ]);
    });
  });
}
