/** Conformance: backoff, retry policies, hand-back, expired leases, heartbeats, timeouts. */
import { describe, expect, it } from "vitest";
import { LeaseLostError } from "../../task/errors.js";
import { input } from "./setup.js";
import type { SchedulerSuite } from "./setup.js";

/** Declares the retry and lease tests. */
export function describeRetries(ctx: SchedulerSuite): void {
  describe("retries and leases", () => {
    it("backs off min(2^n, 60) s on a timer, then FAILED when retries run out", async () => {
      const { s, clock, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 7 }));
      const waits: number[] = [];
      for (let i = 0; i < 7; i++) {
        const [l] = await lease();
        const failed = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "x", type: "E" }, retryable: true });
        expect(failed.status).toBe("retry");
        const wait = failed.nextAttemptAt! - clock.now();
        waits.push(wait);
        await advance(wait - 1);
        expect(await lease()).toEqual([]); // not before its time
        await advance(1);
        expect((await s.get(task.id)).status).toBe("pending");
      }
      expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
      const [l] = await lease();
      const last = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "x", type: "E" }, retryable: true });
      expect(last).toMatchObject({ status: "failed", retryCount: 7, attempt: 8 });
    });

    it("applies a per-task retry policy", async () => {
      const { s, clock, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 3, retryPolicy: { initialMs: 100, multiplier: 3, maxMs: 500 } }));
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [l] = await lease();
        const t = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: true });
        waits.push(t.nextAttemptAt! - clock.now());
        await advance(1000);
      }
      expect(waits).toEqual([100, 300, 500]);
    });

    it("takes a task handed back by a stopping worker at once, without using a retry", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 0 }));
      const [l] = await lease();
      const back = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: true, requeue: true });
      expect(back).toMatchObject({ status: "pending", retryCount: 0, lease: undefined });
      const [again] = await lease({ workerId: "w2" });
      expect(again!.task).toMatchObject({ id: task.id, attempt: 2, retryCount: 0 });
      await expect(s.complete({ taskId: task.id, leaseToken: l!.leaseToken })).rejects.toBeInstanceOf(LeaseLostError);
    });

    it("fails at once when not retryable", async () => {
      const { s, lease } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 5 }));
      const [l] = await lease();
      const t = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "bad", type: "NonRetryableError" }, retryable: false });
      expect(t).toMatchObject({ status: "failed", retryCount: 0, error: { message: "bad", type: "NonRetryableError" } });
    });

    it("counts an expired lease as a failed attempt and refuses the stale token", async () => {
      const { s, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ maxRetries: 1 }));
      const [first] = await lease({ leaseMs: 5000 });
      await advance(5000);
      expect(await s.get(task.id)).toMatchObject({ status: "retry", retryCount: 1, error: { type: "LeaseExpired" } });
      await advance(1000);
      const [second] = await lease({ workerId: "w2" });
      expect(second!.task.attempt).toBe(2);
      await expect(s.complete({ taskId: task.id, leaseToken: first!.leaseToken, result: 1 })).rejects.toBeInstanceOf(LeaseLostError);
      await expect(s.heartbeat({ taskId: task.id, leaseToken: first!.leaseToken, progress: 1, progressMessage: "" })).rejects.toBeInstanceOf(LeaseLostError);
      const done = await s.complete({ taskId: task.id, leaseToken: second!.leaseToken, result: { ok: true } });
      expect(done).toMatchObject({ status: "success", result: { ok: true } });
      await expect(s.fail({ taskId: task.id, leaseToken: first!.leaseToken, error: undefined, retryable: true })).rejects.toBeInstanceOf(LeaseLostError);
      expect((await s.get(task.id)).status).toBe("success");
    });

    it("extends a lease on heartbeat", async () => {
      const { s, clock, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input());
      const [l] = await lease({ leaseMs: 5000 });
      await advance(4000);
      const hb = await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 40, progressMessage: "half" });
      expect(hb.leaseExpiresAt).toBe(clock.now() + 5000);
      await advance(4000);
      expect(await s.get(task.id)).toMatchObject({ status: "started", progress: 40, progressMessage: "half" });
      await advance(1000);
      expect((await s.get(task.id)).status).toBe("failed");
    });

    it("fails an attempt that runs past its timeout", async () => {
      const { s, lease, advance } = await ctx.setup();
      const { task } = await s.enqueue(input({ timeoutMs: 2000, maxRetries: 3 }));
      const [l] = await lease({ leaseMs: 60_000 });
      await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 1, progressMessage: "" });
      await advance(2000);
      expect(await s.get(task.id)).toMatchObject({ status: "failed", error: { message: "timeout" } });
    });
  });
}
