/** Conformance: pausing a category and limiting its leases, as workers and GetStats observe it. */
import { describe, expect, it } from "vitest";
import type { LeasedTask } from "../inputs.js";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Whether a promise has settled, without waiting for it. */
function track<T>(p: Promise<T>): { readonly done: boolean } {
  const state = { done: false };
  void p.then(() => (state.done = true));
  return state;
}

/** Declares the pause and limits tests. */
export function describeCategories(ctx: SchedulerSuite): void {
  describe("category pause and limits", () => {
    it("rejects a bad setting by name and stores nothing", async () => {
      const { s } = await ctx.setup();
      await expect(s.updateCategory({ category: "bad name!", paused: true })).rejects.toThrow(/^category:/);
      await expect(s.updateCategory({ category: "a", maxRunning: -1 })).rejects.toThrow(/^max_running:/);
      await expect(s.updateCategory({ category: "a", maxRunning: 2.5 })).rejects.toThrow(/^max_running:/);
      await expect(s.updateCategory({ category: "a", maxRunning: 1_000_001 })).rejects.toThrow(/^max_running:/);
      await expect(s.updateCategory({ category: "a", maxStartsPerSecond: Number.NaN })).rejects.toThrow(/^max_starts_per_second:/);
      await expect(s.updateCategory({ category: "a", maxStartsPerSecond: Infinity })).rejects.toThrow(/^max_starts_per_second:/);
      expect((await s.stats()).categories).toEqual([]);
    });

    it("accepts enqueues but leases nothing while paused; resume answers a waiting long-poll", async () => {
      const { s, lease, advance } = await ctx.setup();
      expect(await s.updateCategory({ category: "default", paused: true })).toEqual({
        category: "default",
        paused: true,
        maxRunning: 0,
        maxStartsPerSecond: 0,
      });
      const { task } = await s.enqueue(input());
      expect(await lease({ maxTasks: 10 })).toEqual([]);
      const waiting = lease({ maxTasks: 10, waitMs: 30_000 });
      const answered = track(waiting);
      await advance(5_000);
      expect(answered.done).toBe(false);
      const { task: other } = await s.enqueue(input({ category: "other" }));
      expect((await lease({ category: "other" })).map((l) => l.task.id)).toEqual([other.id]);

      expect((await s.updateCategory({ category: "default", paused: false })).paused).toBe(false);
      expect((await waiting).map((l) => l.task.id)).toEqual([task.id]);
    });

    it("with max running 2 and 5 ready, leases 2 until one completes", async () => {
      const { s, lease } = await ctx.setup();
      await s.updateCategory({ category: "default", maxRunning: 2 });
      await s.enqueueMany(Array.from({ length: 5 }, (_, i) => input({ args: [i] })));
      const first = await lease({ maxTasks: 5 });
      expect(first.map((l) => l.task.args)).toEqual([[0], [1]]);
      expect(await lease({ maxTasks: 5, workerId: "w2" })).toEqual([]);
      const waiting = lease({ maxTasks: 5, workerId: "w2", waitMs: 30_000 });
      await s.complete({ taskId: first[0]!.task.id, leaseToken: first[0]!.leaseToken });
      expect((await waiting).map((l) => l.task.args)).toEqual([[2]]);
      const st = await s.stats();
      expect(st.running).toBe(2);
      expect(st.categories.find((c) => c.category === "default")).toMatchObject({ running: 2, maxRunning: 2, paused: false });
    });

    it("starts at most the rate per second: 5 at once, the 6th after 200 ms, a burst of at most 5", async () => {
      const { s, lease, advance } = await ctx.setup();
      await s.updateCategory({ category: "default", maxStartsPerSecond: 5 });
      await s.enqueueMany(Array.from({ length: 12 }, (_, i) => input({ args: [i] })));
      expect(await lease({ maxTasks: 10 })).toHaveLength(5);
      expect(await lease({ maxTasks: 10 })).toEqual([]);
      const waiting = lease({ maxTasks: 10, waitMs: 30_000 });
      const answered = track(waiting);
      await advance(199);
      expect(answered.done).toBe(false);
      await advance(1);
      const sixth: LeasedTask[] = await waiting;
      expect(sixth.map((l) => l.task.args)).toEqual([[5]]);
      await advance(10_000);
      expect(await lease({ maxTasks: 10 })).toHaveLength(5);
    });

    it("keeps the settings when the scheduler is opened again on the same store", async () => {
      const first = await ctx.setup();
      await first.s.updateCategory({ category: "video", paused: true });
      await first.s.updateCategory({ category: "video", maxRunning: 3, maxStartsPerSecond: 1.5 });
      await first.s.updateCategory({ category: "mail", maxRunning: 1 });
      await first.s.updateCategory({ category: "mail", maxRunning: 0 }); // back to the default: forgotten
      await first.s.enqueue(input({ category: "video" }));

      const again = await ctx.reopen(first);
      expect(await again.lease({ category: "video", maxTasks: 5 })).toEqual([]);
      expect((await again.s.stats()).categories).toEqual([
        expect.objectContaining({ category: "video", paused: true, maxRunning: 3, maxStartsPerSecond: 1.5 }),
      ]);
      expect(await again.s.updateCategory({ category: "video", paused: false })).toEqual({
        category: "video",
        paused: false,
        maxRunning: 3,
        maxStartsPerSecond: 1.5,
      });
      expect(await again.lease({ category: "video", maxTasks: 5 })).toHaveLength(1);
    });

    it("shows the settings in stats, also of a category without tasks", async () => {
      const { s } = await ctx.setup();
      await s.updateCategory({ category: "quiet", paused: true, maxStartsPerSecond: 0.5 });
      await s.enqueue(input());
      const st = await s.stats();
      expect(st.categories.map((c) => [c.category, c.paused, c.maxRunning, c.maxStartsPerSecond])).toEqual([
        ["default", false, 0, 0],
        ["quiet", true, 0, 0.5],
      ]);
      expect(st.total).toBe(1);
    });
  });
}
