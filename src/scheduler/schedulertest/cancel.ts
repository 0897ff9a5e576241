/** Conformance: cancel, manual retry, delayed tasks, idempotency keys. */
import { describe, expect, it } from "vitest";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Declares the cancel, retry, delay and dedupe tests. */
export function describeCancel(ctx: SchedulerSuite): void {
  describe("cancel, retry, delay, dedupe", () => {
    it("never leases a cancelled pending task", async () => {
      const { s, lease } = await ctx.setup();
      const { task: a } = await s.enqueue(input());
      const { task: b } = await s.enqueue(input());
      expect((await s.cancel(a.id)).cancelled).toBe(true);
      expect((await lease({ maxTasks: 10 })).map((l) => l.task.id)).toEqual([b.id]);
      expect((await s.get(a.id)).status).toBe("cancelled");
      expect((await s.cancel(a.id)).cancelled).toBe(false);
    });

    it("asks a running task's worker to stop and ends it CANCELLED", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input());
      const [l] = await lease();
      expect((await s.cancel(task.id)).cancelled).toBe(true);
      const hb = await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 10, progressMessage: "" });
      expect(hb.cancelRequested).toBe(true);
      const t = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "aborted", type: "AbortError" }, retryable: true });
      expect(t.status).toBe("cancelled");
    });

    it("cancels a task waiting for its retry", async () => {
      const { s, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 2 }));
      const [l] = await lease();
      await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: true });
      await s.cancel(task.id);
      await advance(60_000);
      expect(await lease()).toEqual([]);
      expect((await s.get(task.id)).status).toBe("cancelled");
    });

    it("manually retries a FAILED task only, keeping retry_count", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 1 }));
      expect((await s.retry(task.id)).retried).toBe(false);
      let [l] = await lease();
      await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: false });
      const r = await s.retry(task.id);
      expect(r.retried).toBe(true);
      expect(r.task).toMatchObject({ status: "pending", retryCount: 0, error: undefined, progress: 0, startedAt: undefined });
      [l] = await lease();
      expect(l!.task.id).toBe(task.id);
      expect(l!.task.attempt).toBe(2);
    });

    it("holds a delayed task until its run_at", async () => {
      const { s, clock, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ runAt: clock.now() + 10_000 }));
      expect(await lease()).toEqual([]);
      await advance(9_999);
      expect(await lease()).toEqual([]);
      await advance(1);
      expect((await lease()).map((l) => l.task.id)).toEqual([task.id]);
    });

    it("returns the first task for a repeated idempotency key, also when concurrent", async () => {
      const { s } = await ctx.setup();
      const [a, b] = await Promise.all([
        s.enqueue(input({ idempotencyKey: "k1" })),
        s.enqueue(input({ idempotencyKey: "k1" })),
      ]);
      expect(a.task.id).toBe(b.task.id);
      expect([a.deduplicated, b.deduplicated].sort()).toEqual([false, true]);
      const c = await s.enqueue(input({ idempotencyKey: "k1" }));
      expect(c).toMatchObject({ deduplicated: true, task: { id: a.task.id } });
      const many = await s.enqueueMany([input({ idempotencyKey: "k2" }), input({ idempotencyKey: "k2" })]);
      expect(many[0]!.task.id).toBe(many[1]!.task.id);
      expect((await s.stats()).total).toBe(2);
    });
  });
}
