/** Conformance: counts by category and status, and deleting finished tasks. */
import { describe, expect, it } from "vitest";
import type { TaskCount } from "../store.js";
import type { FreshStore } from "./fresh-store.js";
import { makeTask } from "./fixtures.js";

// The interface does not promise an order of counts; compare them sorted.
function sorted(counts: readonly TaskCount[]): TaskCount[] {
  const key = (count: TaskCount): string => `${count.category}\u0000${count.status}`;
  return [...counts].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Declares the count and delete-finished tests. */
export function describeCounts(ctx: FreshStore): void {
  describe("taskCountByCategoryAndStatus", () => {
    it("counts exactly by category and status, omitting zeros", async () => {
      expect(await ctx.store.taskCountByCategoryAndStatus()).toStrictEqual([]);
      const mailPending = [makeTask({ category: "mail" }), makeTask({ category: "mail" })];
      const mailFailed = makeTask({ category: "mail", status: "failed" });
      const videoPending = makeTask({ category: "video" });
      await ctx.store.taskSaveMany({ inserted: [...mailPending, mailFailed, videoPending], updated: [] });
      expect(sorted(await ctx.store.taskCountByCategoryAndStatus())).toStrictEqual([
        { category: "mail", status: "failed", count: 1 },
        { category: "mail", status: "pending", count: 2 },
        { category: "video", status: "pending", count: 1 },
      ]);

      await ctx.store.taskSaveMany({ inserted: [], updated: [{ ...videoPending, status: "started" }] });
      expect(sorted(await ctx.store.taskCountByCategoryAndStatus())).toStrictEqual([
        { category: "mail", status: "failed", count: 1 },
        { category: "mail", status: "pending", count: 2 },
        { category: "video", status: "started", count: 1 },
      ]);
    });
  });

  describe("taskDeleteFinishedMany", () => {
    const cutoff = 1_700_000_100_000;

    it("deletes only finished tasks completed before the cut-off and counts what it deleted", async () => {
      const old = cutoff - 1;
      const doomed = [
        makeTask({ category: "mail", status: "success", completedAt: old }),
        makeTask({ category: "mail", status: "success", completedAt: 0 }),
        makeTask({ category: "mail", status: "failed", completedAt: old }),
        makeTask({ category: "video", status: "cancelled", completedAt: old }),
      ];
      const kept = [
        makeTask({ category: "mail", status: "success", completedAt: cutoff }),
        makeTask({ category: "mail", status: "success", completedAt: cutoff + 1 }),
        makeTask({ category: "mail", status: "failed", completedAt: undefined }),
        // Unfinished tasks stay whatever their completedAt says.
        makeTask({ category: "mail", status: "pending", completedAt: old }),
        makeTask({ category: "mail", status: "started", completedAt: old }),
        makeTask({ category: "video", status: "retry", completedAt: old }),
      ];
      await ctx.store.taskSaveMany({ inserted: [...kept, ...doomed], updated: [] });

      const deleted = await ctx.store.taskDeleteFinishedMany({ completedBefore: cutoff });
      expect(sorted(deleted)).toStrictEqual([
        { category: "mail", status: "failed", count: 1 },
        { category: "mail", status: "success", count: 2 },
        { category: "video", status: "cancelled", count: 1 },
      ]);
      for (const task of doomed) expect(await ctx.store.taskGet({ id: task.id })).toBeUndefined();
      for (const task of kept) expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
      expect(await ctx.store.taskDeleteFinishedMany({ completedBefore: cutoff })).toStrictEqual([]);
    });

    it("keeps deleted tasks deleted through later saves", async () => {
      const tasks = [makeTask(), makeTask()];
      const other = makeTask();
      await ctx.store.taskSaveMany({ inserted: [...tasks, other], updated: [] });
      const done = tasks.map((task) => ({ ...task, status: "success" as const, completedAt: cutoff - 10 }));
      await ctx.store.taskSaveMany({ inserted: [], updated: done });
      await ctx.store.taskDeleteFinishedMany({ completedBefore: cutoff });

      // An update of a task that is not stored inserts it, and must insert nothing else.
      await ctx.store.taskSaveMany({ inserted: [makeTask()], updated: [{ ...other, seq: 2 }, makeTask()] });
      for (const task of tasks) expect(await ctx.store.taskGet({ id: task.id })).toBeUndefined();
      expect(await ctx.store.taskCountByCategoryAndStatus()).toStrictEqual([
        { category: "default", status: "pending", count: 3 },
      ]);
    });

    it("deletes nothing from an empty store or before the oldest completion", async () => {
      expect(await ctx.store.taskDeleteFinishedMany({ completedBefore: cutoff })).toStrictEqual([]);
      const task = makeTask({ status: "success", completedAt: cutoff });
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      expect(await ctx.store.taskDeleteFinishedMany({ completedBefore: cutoff })).toStrictEqual([]);
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
    });
  });
}
