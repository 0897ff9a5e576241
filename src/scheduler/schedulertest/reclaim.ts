/** Conformance: a worker that missed a lease answer reclaims its tasks (reclaim.ts). */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, LeaseLostError } from "../../task/errors.js";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Declares the reclaim tests. */
export function describeReclaim(ctx: SchedulerSuite): void {
  describe("reclaiming lost lease answers", () => {
    it("hands back what the worker was leased and does not hold, same attempt, new tokens", async () => {
      const { s, lease } = await ctx.setup();
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await s.enqueue(input({ maxRetries: 0, kwargs: { i } }))).task.id);
      const kept = await lease({ maxTasks: 1 });
      const lost = await lease({ maxTasks: 2 }); // as if this answer never arrived
      expect(lost.map((l) => l.task.id)).toEqual(ids.slice(1));

      const back = await lease({ maxTasks: 5, reclaim: { heldTaskIds: [kept[0]!.task.id] } });
      expect(back.map((l) => l.task.id).sort()).toEqual(ids.slice(1).sort());
      for (const b of back) {
        expect(b.task).toMatchObject({ status: "started", attempt: 1, retryCount: 0 });
        expect(b.leaseToken).not.toBe(lost.find((l) => l.task.id === b.task.id)!.leaseToken);
      }
      // The lost answer's tokens no longer count; the new ones do.
      await expect(s.complete({ taskId: lost[0]!.task.id, leaseToken: lost[0]!.leaseToken })).rejects.toBeInstanceOf(LeaseLostError);
      for (const b of back) expect(await s.complete({ taskId: b.task.id, leaseToken: b.leaseToken })).toMatchObject({ status: "success", attempt: 1 });
      expect(await s.complete({ taskId: kept[0]!.task.id, leaseToken: kept[0]!.leaseToken })).toMatchObject({ status: "success" });
    });

    it("leaves other workers' tasks, other categories' tasks and held tasks alone, and fills up with ready tasks", async () => {
      const { s, lease } = await ctx.setup();
      const a = (await s.enqueue(input())).task;
      const b = (await s.enqueue(input())).task;
      const other = (await s.enqueue(input({ category: "other" }))).task;
      const ready = (await s.enqueue(input())).task;
      const [la] = await lease({ workerId: "w1" });
      const [lb] = await lease({ workerId: "w2" });
      const [lo] = await lease({ workerId: "w1", category: "other" });
      expect([la!.task.id, lb!.task.id, lo!.task.id]).toEqual([a.id, b.id, other.id]);

      const held = await lease({ workerId: "w1", maxTasks: 5, reclaim: { heldTaskIds: [a.id] } });
      expect(held.map((l) => l.task.id)).toEqual([ready.id]); // nothing lost: a fresh lease
      expect(held[0]!.task.attempt).toBe(1);
      const again = await lease({ workerId: "w1", maxTasks: 5, reclaim: { heldTaskIds: [ready.id] } });
      expect(again.map((l) => l.task.id)).toEqual([a.id]);
      // w2's lease and w1's lease in "other" stand untouched.
      expect(await s.complete({ taskId: b.id, leaseToken: lb!.leaseToken })).toMatchObject({ status: "success" });
      expect(await s.complete({ taskId: other.id, leaseToken: lo!.leaseToken })).toMatchObject({ status: "success" });
    });

    it("gives reclaimed tasks a full lease from now", async () => {
      const { s, clock, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 0 }));
      await lease({ leaseMs: 10_000 });
      await advance(8_000);
      const [back] = await lease({ leaseMs: 10_000, reclaim: { heldTaskIds: [] } });
      expect(back!.leaseExpiresAt).toBe(clock.now() + 10_000);
      await advance(5_000); // past the first lease's end, within the new one
      expect(await s.get(task.id)).toMatchObject({ status: "started", attempt: 1 });
      expect(await s.complete({ taskId: task.id, leaseToken: back!.leaseToken })).toMatchObject({ status: "success" });
    });

    it("refuses a bad held_task_ids naming the field, changing nothing", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input());
      await lease();
      const err = await lease({ reclaim: { heldTaskIds: ["not-an-id"] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("held_task_ids[0]");
      expect(await s.get(task.id)).toMatchObject({ status: "started", attempt: 1 });
    });
  });
}
