/** Conformance: `taskSaveMany` replaces whole rows, inserts missing ones, and is all-or-nothing. */
import { describe, expect, it } from "vitest";
import type { Task } from "../../task/task.js";
import type { FreshStore } from "./fresh-store.js";
import { makeFullTask, makeTask } from "./fixtures.js";

/** Declares the `taskSaveMany` tests. */
export function describeSaveMany(ctx: FreshStore): void {
  describe("taskSaveMany", () => {
    it("inserts and updates in one call", async () => {
      const old = makeTask();
      await ctx.store.taskSaveMany({ inserted: [old], updated: [] });
      const fresh = makeTask({ name: "fresh" });
      const leased = { ...old, status: "started" as const, attempt: 1, seq: 2 };
      await ctx.store.taskSaveMany({ inserted: [fresh], updated: [leased] });
      expect(await ctx.store.taskGet({ id: old.id })).toStrictEqual(leased);
      expect(await ctx.store.taskGet({ id: fresh.id })).toStrictEqual(fresh);
    });

    it("replaces the whole row on update: fields now undefined read back undefined", async () => {
      const full = makeFullTask();
      await ctx.store.taskSaveMany({ inserted: [full], updated: [] });
      const bare = makeTask({ id: full.id, name: "renamed", seq: 2 });
      await ctx.store.taskSaveMany({ inserted: [], updated: [bare] });
      expect(await ctx.store.taskGet({ id: full.id })).toStrictEqual(bare);
    });

    it("inserts an updated task that is not stored", async () => {
      const stored = makeTask();
      const missing = makeFullTask();
      await ctx.store.taskSaveMany({ inserted: [stored], updated: [] });
      await ctx.store.taskSaveMany({ inserted: [], updated: [{ ...stored, seq: 5 }, missing] });
      expect(await ctx.store.taskGet({ id: missing.id })).toStrictEqual(missing);
      expect((await ctx.store.taskGet({ id: stored.id }))?.seq).toBe(5);
      expect(await ctx.store.taskList({ limit: 10 })).toHaveLength(2);
    });

    it("keeps the updated version of a task inserted and updated in one call", async () => {
      const task = makeTask();
      const started = { ...task, status: "started" as const, seq: 2 };
      await ctx.store.taskSaveMany({ inserted: [task], updated: [started] });
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(started);
    });

    it("keeps the last version of a task updated twice in one call", async () => {
      const task = makeTask();
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      const versions = [2, 3, 4].map((seq) => ({ ...task, seq, progress: seq * 10 }));
      await ctx.store.taskSaveMany({ inserted: [], updated: versions });
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(versions[2]);
    });

    it("refuses a fractional time or count, naming the task and field, and stores nothing of the call", async () => {
      const stored = makeTask();
      await ctx.store.taskSaveMany({ inserted: [stored], updated: [] });
      const good = makeTask();
      const cases: [string, Task][] = [
        ["startedAt", makeTask({ startedAt: 1.5 })],
        ["lease.expiresAt", makeTask({ lease: { workerId: "w", token: "t", expiresAt: 0.5, durationMs: 1 } })],
        ["attempt", makeTask({ attempt: 2 ** 40 })],
      ];
      for (const [field, bad] of cases) {
        const message = new RegExp(`^task ${bad.id}: ${field.replace(".", "\\.")} must be `);
        await expect(ctx.store.taskSaveMany({ inserted: [good, bad], updated: [] })).rejects.toThrow(message);
        // Inserts come before updates: a failing update must take them back too.
        const call = ctx.store.taskSaveMany({ inserted: [good], updated: [{ ...stored, seq: 2 }, bad] });
        await expect(call).rejects.toThrow(message);
      }
      expect(await ctx.store.taskList({ limit: 10 })).toStrictEqual([stored]);
    });

    it("accepts an empty call", async () => {
      await ctx.store.taskSaveMany({ inserted: [], updated: [] });
      expect(await ctx.store.taskList({ limit: 10 })).toStrictEqual([]);
    });

    it("writes calls made without waiting for each other", async () => {
      const batches = Array.from({ length: 10 }, () => [makeTask(), makeTask()]);
      await Promise.all(batches.map((inserted) => ctx.store.taskSaveMany({ inserted, updated: [] })));
      expect(await ctx.store.taskList({ limit: 100 })).toHaveLength(20);
    });

    it("saves and replaces batches larger than one storage chunk", async () => {
      const tasks = Array.from({ length: 2500 }, (_, i) => makeTask({ args: [i], readySeq: i + 1 }));
      await ctx.store.taskSaveMany({ inserted: tasks, updated: [] });
      const done: Task[] = tasks.map((task) => ({ ...task, status: "success", completedAt: 5, readySeq: undefined }));
      await ctx.store.taskSaveMany({ inserted: [], updated: done });
      const counts = await ctx.store.taskCountByCategoryAndStatus();
      expect(counts).toStrictEqual([{ category: "default", status: "success", count: 2500 }]);
      expect(await ctx.store.taskGet({ id: tasks[1234]!.id })).toStrictEqual(done[1234]);
    });
  });
}
