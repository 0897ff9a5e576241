/** Conformance: what is saved reads back exactly, field for field. */
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../task/task.js";
import type { FreshStore } from "./fresh-store.js";
import { makeFullTask, makeTask, newTaskId } from "./fixtures.js";

/** Declares the round-trip tests. */
export function describeRoundTrip(ctx: FreshStore): void {
  describe("round trip", () => {
    it("returns a task with every optional field set exactly as saved", async () => {
      const task = makeFullTask();
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
    });

    it("returns a task with every optional field unset exactly as saved", async () => {
      const task = makeTask();
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      const stored = await ctx.store.taskGet({ id: task.id });
      expect(stored).toStrictEqual(task);
      expect(stored?.kwargs).toStrictEqual({});
      expect(stored?.args).toStrictEqual([]);
    });

    it("keeps every kind of result apart, null and undefined included", async () => {
      const results: (JsonValue | undefined)[] = [undefined, null, 0, "", false, [], {}, "null", [null], 1.5e300];
      const tasks = results.map((result) => makeTask({ status: "success", result }));
      await ctx.store.taskSaveMany({ inserted: tasks, updated: [] });
      for (const task of tasks) {
        const stored = await ctx.store.taskGet({ id: task.id });
        expect(stored).toStrictEqual(task);
        expect(stored?.result).toStrictEqual(task.result);
      }
    });

    it("keeps an error with an empty type, and progress fractions, exactly", async () => {
      const task = makeTask({
        status: "failed",
        error: { message: "", type: "" },
        progress: 0.1 + 0.2,
        progressMessage: "🚀\n\"quoted\" \\ ünïcödé",
        timeoutMs: 0,
        runAt: 0,
        readySeq: 0,
      });
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
    });

    it("keeps the fields of a lease and a retry policy", async () => {
      const task = makeTask({
        status: "started",
        lease: { workerId: "", token: "t", expiresAt: 1, durationMs: 0 },
        retryPolicy: { initialMs: 1, maxMs: 2, multiplier: 1, jitter: 0 },
      });
      await ctx.store.taskSaveMany({ inserted: [task], updated: [] });
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
    });

    it("returns undefined for an id that is not stored", async () => {
      await ctx.store.taskSaveMany({ inserted: [makeTask()], updated: [] });
      expect(await ctx.store.taskGet({ id: newTaskId() })).toBeUndefined();
    });

    it("does not let callers change stored tasks through saved or returned objects", async () => {
      const task = makeFullTask();
      const saved = structuredClone(task);
      await ctx.store.taskSaveMany({ inserted: [saved], updated: [] });
      (saved.kwargs.nested as { list: JsonValue[] }).list.push("changed");
      saved.lease!.token = "changed";
      const first = await ctx.store.taskGet({ id: task.id });
      first!.args.push("changed");
      first!.error!.message = "changed";
      expect(await ctx.store.taskGet({ id: task.id })).toStrictEqual(task);
    });
  });
}
