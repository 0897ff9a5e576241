/** Conformance: `taskList` and `taskListUnfinished` filter, order and page. */
import { describe, expect, it } from "vitest";
import type { Task, TaskStatus } from "../../task/task.js";
import type { FreshStore } from "./fresh-store.js";
import { makeTask } from "./fixtures.js";

/** Declares the listing tests. */
export function describeList(ctx: FreshStore): void {
  const ids = (tasks: readonly Task[]): string[] => tasks.map((task) => task.id);
  // Created in id order, so the newest is last; saved in shuffled order so no driver can
  // pass by returning insertion order.
  const saveShuffled = async (tasks: Task[]): Promise<void> => {
    const shuffled = tasks.map((task, i) => ({ task, key: (i * 7919) % tasks.length }));
    shuffled.sort((a, b) => a.key - b.key);
    await ctx.store.taskSaveMany({ inserted: shuffled.map(({ task }) => task), updated: [] });
  };

  describe("taskList", () => {
    it("returns the newest first, at most limit", async () => {
      const tasks = Array.from({ length: 5 }, () => makeTask());
      await saveShuffled(tasks);
      expect(ids(await ctx.store.taskList({ limit: 3 }))).toStrictEqual(ids([tasks[4]!, tasks[3]!, tasks[2]!]));
      expect(await ctx.store.taskList({ limit: 0 })).toStrictEqual([]);
      expect(await ctx.store.taskList({ limit: 100 })).toStrictEqual([...tasks].reverse());
    });

    it("filters by category, status and name, alone and together", async () => {
      const a = makeTask({ category: "mail", status: "pending", name: "send" });
      const b = makeTask({ category: "mail", status: "success", name: "send" });
      const c = makeTask({ category: "mail", status: "success", name: "bounce" });
      const d = makeTask({ category: "video", status: "success", name: "send" });
      await saveShuffled([a, b, c, d]);
      const list = async (filters: { category?: string; status?: TaskStatus; name?: string }) =>
        ids(await ctx.store.taskList({ ...filters, limit: 10 }));
      expect(await list({ category: "mail" })).toStrictEqual(ids([c, b, a]));
      expect(await list({ status: "success" })).toStrictEqual(ids([d, c, b]));
      expect(await list({ name: "send" })).toStrictEqual(ids([d, b, a]));
      expect(await list({ category: "mail", status: "success", name: "send" })).toStrictEqual(ids([b]));
      expect(await list({ category: "audio" })).toStrictEqual([]);
      expect(await list({ category: undefined, status: undefined, name: undefined })).toStrictEqual(ids([d, c, b, a]));
    });

    it("pages with beforeId through every match exactly once, newest first", async () => {
      const tasks = Array.from({ length: 23 }, (_, i) => makeTask({ category: i % 3 === 0 ? "other" : "mail" }));
      await saveShuffled(tasks);
      const seen: string[] = [];
      let beforeId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const found = await ctx.store.taskList({ category: "mail", beforeId, limit: 4 });
        if (found.length === 0) break;
        expect(found.length).toBeLessThanOrEqual(4);
        seen.push(...ids(found));
        beforeId = found.at(-1)!.id;
      }
      const expected = ids(tasks.filter((task) => task.category === "mail").reverse());
      expect(seen).toStrictEqual(expected);
    });

    it("takes beforeId as a bound: an id that is not stored still splits the list", async () => {
      const [older, newer] = [makeTask(), makeTask()];
      const between = makeTask().id;
      const newest = makeTask();
      await saveShuffled([older!, newer!, newest]);
      expect(ids(await ctx.store.taskList({ beforeId: between, limit: 10 }))).toStrictEqual(ids([newer!, older!]));
    });
  });

  describe("taskListUnfinished", () => {
    it("returns only pending, started and retry tasks, by ascending id, in pages", async () => {
      const statuses: TaskStatus[] = ["pending", "started", "success", "retry", "failed", "cancelled"];
      const tasks = Array.from({ length: 30 }, (_, i) => makeTask({ status: statuses[i % statuses.length]! }));
      await saveShuffled(tasks);
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const found = await ctx.store.taskListUnfinished({ afterId, limit: 4 });
        if (found.length === 0) break;
        expect(found.length).toBeLessThanOrEqual(4);
        seen.push(...ids(found));
        afterId = found.at(-1)!.id;
      }
      const unfinished = tasks.filter((task) => ["pending", "started", "retry"].includes(task.status));
      expect(seen).toStrictEqual(ids(unfinished));
    });

    it("returns whole tasks, and nothing when everything is finished", async () => {
      const started = makeTask({ status: "started", lease: { workerId: "w", token: "t", expiresAt: 9, durationMs: 5 } });
      await ctx.store.taskSaveMany({ inserted: [started, makeTask({ status: "success" })], updated: [] });
      expect(await ctx.store.taskListUnfinished({ limit: 10 })).toStrictEqual([started]);
      await ctx.store.taskSaveMany({ inserted: [], updated: [{ ...started, status: "cancelled", lease: undefined }] });
      expect(await ctx.store.taskListUnfinished({ limit: 10 })).toStrictEqual([]);
    });
  });
}
