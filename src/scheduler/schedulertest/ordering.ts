/** Conformance: priority and FIFO order, names, categories. */
import { describe, expect, it } from "vitest";
import type { TaskPriority } from "../../task/task.js";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Declares the ordering tests. */
export function describeOrdering(ctx: SchedulerSuite): void {
  describe("ordering", () => {
    it("leases higher priority first, then FIFO by enqueue, exactly, over 4x250 mixed tasks", async () => {
      const { s, lease } = await ctx.setup();
      const priorities: TaskPriority[] = ["low", "normal", "high", "critical"];
      const enqueued: Array<{ id: string; priority: TaskPriority }> = [];
      // Interleave priorities in a scrambled but deterministic order.
      for (let i = 0; i < 1000; i++) {
        const priority = priorities[(i * 7 + (i >> 3)) % 4]!;
        const batch = i % 3 === 0;
        const { task } = batch
          ? (await s.enqueueMany([input({ priority, args: [i] })]))[0]!
          : await s.enqueue(input({ priority, args: [i] }));
        enqueued.push({ id: task.id, priority });
      }
      const rank = (p: TaskPriority) => priorities.indexOf(p);
      const expected = [...enqueued]
        .map((t, i) => ({ ...t, i }))
        .sort((a, b) => rank(b.priority) - rank(a.priority) || a.i - b.i)
        .map((t) => t.id);
      const got: string[] = [];
      while (got.length < 1000) {
        const batch = await lease({ maxTasks: 1 + (got.length % 5) });
        expect(batch.length).toBeGreaterThan(0);
        got.push(...batch.map((l) => l.task.id));
      }
      expect(got).toEqual(expected);
      expect(await lease()).toEqual([]);
    });

    it("puts a task whose backoff ended at the tail of its priority", async () => {
      const { s, lease, advance } = await ctx.setup();
      const { task: a } = await s.enqueue(input({ maxRetries: 1, args: ["a"] }));
      const [la] = await lease();
      const { task: b } = await s.enqueue(input({ args: ["b"] }));
      await s.fail({ taskId: a.id, leaseToken: la!.leaseToken, error: { message: "boom", type: "" }, retryable: true });
      await advance(1000);
      const { task: c } = await s.enqueue(input({ args: ["c"] }));
      const order = (await lease({ maxTasks: 3 })).map((l) => l.task.id);
      expect(order).toEqual([b.id, a.id, c.id]);
    });

    it("leases only the names a worker handles", async () => {
      const { s, lease } = await ctx.setup();
      const { task: x } = await s.enqueue(input({ name: "x", priority: "critical" }));
      const { task: y } = await s.enqueue(input({ name: "y" }));
      expect((await lease({ taskNames: ["y"], maxTasks: 5 })).map((l) => l.task.id)).toEqual([y.id]);
      expect((await lease({ taskNames: ["x"] })).map((l) => l.task.id)).toEqual([x.id]);
    });

    it("keeps categories independent", async () => {
      const { s, lease } = await ctx.setup();
      await s.enqueue(input({ category: "a", priority: "critical" }));
      const { task: b } = await s.enqueue(input({ category: "b", priority: "low" }));
      expect((await lease({ category: "b" })).map((l) => l.task.id)).toEqual([b.id]);
    });
  });
}
