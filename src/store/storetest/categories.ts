/** Conformance: category settings (pause and limits), kept apart from the tasks. */
import { describe, expect, it } from "vitest";
import type { FreshStore } from "./fresh-store.js";
import { makeTask } from "./fixtures.js";

/** Declares the categoryList and categoryUpdate tests. */
export function describeCategories(ctx: FreshStore): void {
  describe("categoryList, categoryUpdate", () => {
    it("lists nothing in a new store", async () => {
      expect(await ctx.store.categoryList()).toStrictEqual([]);
    });

    it("changes only the fields given, returns the settings as stored, and lists them by category", async () => {
      const paused = await ctx.store.categoryUpdate({ category: "video", paused: true });
      expect(paused).toStrictEqual({ category: "video", paused: true, maxRunning: 0, maxStartsPerSecond: 0 });
      const limited = await ctx.store.categoryUpdate({ category: "video", maxRunning: 3 });
      expect(limited).toStrictEqual({ category: "video", paused: true, maxRunning: 3, maxStartsPerSecond: 0 });
      await ctx.store.categoryUpdate({ category: "mail", maxStartsPerSecond: 0.5, maxRunning: undefined });
      await ctx.store.categoryUpdate({ category: "audio", maxRunning: 1_000_000, maxStartsPerSecond: 1_000_000 });
      expect(await ctx.store.categoryList()).toStrictEqual([
        { category: "audio", paused: false, maxRunning: 1_000_000, maxStartsPerSecond: 1_000_000 },
        { category: "mail", paused: false, maxRunning: 0, maxStartsPerSecond: 0.5 },
        { category: "video", paused: true, maxRunning: 3, maxStartsPerSecond: 0 },
      ]);
    });

    it("answers an update that changes nothing with the settings as they are", async () => {
      await ctx.store.categoryUpdate({ category: "video", maxStartsPerSecond: 2.25 });
      expect(await ctx.store.categoryUpdate({ category: "video" })).toStrictEqual({
        category: "video",
        paused: false,
        maxRunning: 0,
        maxStartsPerSecond: 2.25,
      });
      expect(await ctx.store.categoryUpdate({ category: "never-set" })).toStrictEqual({
        category: "never-set",
        paused: false,
        maxRunning: 0,
        maxStartsPerSecond: 0,
      });
      expect((await ctx.store.categoryList()).map((c) => c.category)).toStrictEqual(["video"]);
    });

    it("forgets a category whose settings are back to the default", async () => {
      await ctx.store.categoryUpdate({ category: "video", paused: true, maxRunning: 2 });
      await ctx.store.categoryUpdate({ category: "video", paused: false });
      expect(await ctx.store.categoryList()).toHaveLength(1);
      const back = await ctx.store.categoryUpdate({ category: "video", maxRunning: 0 });
      expect(back).toStrictEqual({ category: "video", paused: false, maxRunning: 0, maxStartsPerSecond: 0 });
      expect(await ctx.store.categoryList()).toStrictEqual([]);
    });

    it("keeps both of two concurrent updates of different fields", async () => {
      await Promise.all([
        ctx.store.categoryUpdate({ category: "video", paused: true }),
        ctx.store.categoryUpdate({ category: "video", maxRunning: 4 }),
        ctx.store.categoryUpdate({ category: "video", maxStartsPerSecond: 10 }),
      ]);
      expect(await ctx.store.categoryList()).toStrictEqual([{ category: "video", paused: true, maxRunning: 4, maxStartsPerSecond: 10 }]);
    });

    it("is independent of the tasks: saving and purging tasks leaves settings as they are", async () => {
      await ctx.store.categoryUpdate({ category: "default", paused: true });
      const done = makeTask({ status: "success", completedAt: 1 });
      await ctx.store.taskSaveMany({ inserted: [done, makeTask()], updated: [] });
      await ctx.store.taskDeleteFinishedMany({ completedBefore: 2 });
      expect(await ctx.store.categoryList()).toStrictEqual([{ category: "default", paused: true, maxRunning: 0, maxStartsPerSecond: 0 }]);
      expect(await ctx.store.taskCountByCategoryAndStatus()).toStrictEqual([{ category: "default", status: "pending", count: 1 }]);
    });
  });
}
