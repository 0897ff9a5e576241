/** Conformance: validation, exact stats, long-polls, watch streams. */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, TaskNotFoundError } from "../../task/errors.js";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Declares the validation, stats, long-poll and watch tests. */
export function describeBasics(ctx: SchedulerSuite): void {
  describe("validation, stats, long-poll, watch", () => {
    it("rejects a bad field by name and stores nothing", async () => {
      const { s } = await ctx.setup();
      await expect(s.enqueue(input({ name: "bad name!" }))).rejects.toThrow(/^name:/);
      await expect(s.enqueue(input({ maxRetries: 101 }))).rejects.toThrow(/^max_retries:/);
      await expect(s.enqueueMany([input(), input({ category: "" }), input({ category: "x".repeat(129) })])).rejects.toThrow(
        /^tasks\[2\]\.category:/,
      );
      await expect(s.enqueue(input({ args: ["x".repeat(1 << 20)] }))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.get("00000000-0000-7000-8000-000000000000")).rejects.toBeInstanceOf(TaskNotFoundError);
      expect((await s.stats()).total).toBe(0);
    });

    it("counts every task exactly, beyond 1,000", async () => {
      const { s, lease } = await ctx.setup();
      await s.enqueueMany(Array.from({ length: 1500 }, (_, i) => input({ category: i % 2 ? "odd" : "even" })));
      const leased = await lease({ category: "odd", maxTasks: 10 });
      await s.complete({ taskId: leased[0]!.task.id, leaseToken: leased[0]!.leaseToken });
      const st = await s.stats();
      expect(st).toMatchObject({ total: 1500, running: 9, queued: 1490, byStatus: { pending: 1490, started: 9, success: 1 } });
      expect(st.byCategory).toEqual({ even: 750, odd: 750 });
      expect(st.categories.find((c) => c.category === "odd")).toMatchObject({ running: 9, workersSeen: 1 });
    });

    it("answers a waiting long-poll as soon as a task is enqueued, or empty when wait runs out", async () => {
      const { s, lease, advance } = await ctx.setup();
      const waiting = lease({ waitMs: 30_000 });
      const { task } = await s.enqueue(input());
      expect((await waiting).map((l) => l.task.id)).toEqual([task.id]);
      const empty = lease({ waitMs: 30_000 });
      await advance(30_000);
      expect(await empty).toEqual([]);
    });

    it("streams a task's changes to a watcher, ending after the final status", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input());
      const events: string[] = [];
      const watching = (async () => {
        for await (const e of s.watch(task.id)) events.push(`${e.seq}:${e.task.status}:${e.task.progress}`);
      })();
      await new Promise((r) => setImmediate(r));
      const [l] = await lease();
      await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 50, progressMessage: "half" });
      await s.complete({ taskId: task.id, leaseToken: l!.leaseToken, result: "ok" });
      await watching;
      expect(events).toEqual(["1:pending:0", "2:started:0", "3:started:50", "4:success:100"]);
      const again: number[] = [];
      for await (const e of s.watch(task.id, 3)) again.push(e.seq);
      expect(again).toEqual([4]);
    });
  });
}
