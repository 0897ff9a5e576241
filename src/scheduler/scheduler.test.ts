import { describe, expect, it } from "vitest";
import { InvalidArgumentError, LeaseLostError, TaskNotFoundError } from "../task/errors.js";
import type { TaskPriority } from "../task/task.js";
import type { EnqueueInput } from "../task/validate.js";
import { createMemoryStore } from "../store/memory/index.js";
import type { Store } from "../store/store.js";
import { FakeClock } from "./clock.js";
import { Scheduler, type LeaseRequest } from "./scheduler.js";

const EMPTY: EnqueueInput = {
  name: "job",
  category: undefined,
  priority: undefined,
  args: undefined,
  kwargs: undefined,
  maxRetries: undefined,
  runAt: undefined,
  timeoutMs: undefined,
  idempotencyKey: undefined,
  retryPolicy: undefined,
};

function input(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return { ...EMPTY, ...overrides };
}

async function setup(store: Store = createMemoryStore()) {
  const clock = new FakeClock();
  const s = await Scheduler.open({ store, clock, random: () => 0.5 });
  const lease = (over: Partial<LeaseRequest> = {}) =>
    s.lease({ category: "default", workerId: "w1", maxTasks: 1, leaseMs: 30_000, waitMs: 0, ...over });
  /** Moves fake time and lets what the timers did commit. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await s.settled();
  };
  return { s, clock, store, lease, advance };
}

describe("Scheduler ordering", () => {
  it("leases higher priority first, then FIFO by enqueue, exactly, over 4x250 mixed tasks", async () => {
    const { s, lease } = await setup();
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
    const { s, lease, advance } = await setup();
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
    const { s, lease } = await setup();
    const { task: x } = await s.enqueue(input({ name: "x", priority: "critical" }));
    const { task: y } = await s.enqueue(input({ name: "y" }));
    expect((await lease({ taskNames: ["y"], maxTasks: 5 })).map((l) => l.task.id)).toEqual([y.id]);
    expect((await lease({ taskNames: ["x"] })).map((l) => l.task.id)).toEqual([x.id]);
  });

  it("keeps categories independent", async () => {
    const { s, lease } = await setup();
    await s.enqueue(input({ category: "a", priority: "critical" }));
    const { task: b } = await s.enqueue(input({ category: "b", priority: "low" }));
    expect((await lease({ category: "b" })).map((l) => l.task.id)).toEqual([b.id]);
  });
});

describe("Scheduler retries and leases", () => {
  it("backs off min(2^n, 60) s on a timer, then FAILED when retries run out", async () => {
    const { s, clock, lease, advance } = await setup();
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
    const { s, clock, lease, advance } = await setup();
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
    const { s, lease } = await setup();
    const { task } = await s.enqueue(input({ maxRetries: 0 }));
    const [l] = await lease();
    const back = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: true, requeue: true });
    expect(back).toMatchObject({ status: "pending", retryCount: 0, lease: undefined });
    const [again] = await lease({ workerId: "w2" });
    expect(again!.task).toMatchObject({ id: task.id, attempt: 2, retryCount: 0 });
    await expect(s.complete({ taskId: task.id, leaseToken: l!.leaseToken })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("fails at once when not retryable", async () => {
    const { s, lease } = await setup();
    const { task } = await s.enqueue(input({ maxRetries: 5 }));
    const [l] = await lease();
    const t = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "bad", type: "NonRetryableError" }, retryable: false });
    expect(t).toMatchObject({ status: "failed", retryCount: 0, error: { message: "bad", type: "NonRetryableError" } });
  });

  it("counts an expired lease as a failed attempt and refuses the stale token", async () => {
    const { s, lease, advance } = await setup();
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
    const { s, clock, lease, advance } = await setup();
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
    const { s, lease, advance } = await setup();
    const { task } = await s.enqueue(input({ timeoutMs: 2000, maxRetries: 3 }));
    const [l] = await lease({ leaseMs: 60_000 });
    await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 1, progressMessage: "" });
    await advance(2000);
    expect(await s.get(task.id)).toMatchObject({ status: "failed", error: { message: "timeout" } });
  });
});

describe("Scheduler cancel, retry, delay, dedupe", () => {
  it("never leases a cancelled pending task", async () => {
    const { s, lease } = await setup();
    const { task: a } = await s.enqueue(input());
    const { task: b } = await s.enqueue(input());
    expect((await s.cancel(a.id)).cancelled).toBe(true);
    expect((await lease({ maxTasks: 10 })).map((l) => l.task.id)).toEqual([b.id]);
    expect((await s.get(a.id)).status).toBe("cancelled");
    expect((await s.cancel(a.id)).cancelled).toBe(false);
  });

  it("asks a running task's worker to stop and ends it CANCELLED", async () => {
    const { s, lease } = await setup();
    const { task } = await s.enqueue(input());
    const [l] = await lease();
    expect((await s.cancel(task.id)).cancelled).toBe(true);
    const hb = await s.heartbeat({ taskId: task.id, leaseToken: l!.leaseToken, progress: 10, progressMessage: "" });
    expect(hb.cancelRequested).toBe(true);
    const t = await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: { message: "aborted", type: "AbortError" }, retryable: true });
    expect(t.status).toBe("cancelled");
  });

  it("cancels a task waiting for its retry", async () => {
    const { s, lease, advance } = await setup();
    const { task } = await s.enqueue(input({ maxRetries: 2 }));
    const [l] = await lease();
    await s.fail({ taskId: task.id, leaseToken: l!.leaseToken, error: undefined, retryable: true });
    await s.cancel(task.id);
    await advance(60_000);
    expect(await lease()).toEqual([]);
    expect((await s.get(task.id)).status).toBe("cancelled");
  });

  it("manually retries a FAILED task only, keeping retry_count", async () => {
    const { s, lease } = await setup();
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
    const { s, clock, lease, advance } = await setup();
    const { task } = await s.enqueue(input({ runAt: clock.now() + 10_000 }));
    expect(await lease()).toEqual([]);
    await advance(9_999);
    expect(await lease()).toEqual([]);
    await advance(1);
    expect((await lease()).map((l) => l.task.id)).toEqual([task.id]);
  });

  it("returns the first task for a repeated idempotency key, also when concurrent", async () => {
    const { s } = await setup();
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
    expect(s.stats().total).toBe(2);
  });
});

describe("Scheduler validation, stats, long-poll, watch", () => {
  it("rejects a bad field by name and stores nothing", async () => {
    const { s } = await setup();
    await expect(s.enqueue(input({ name: "bad name!" }))).rejects.toThrow(/^name:/);
    await expect(s.enqueue(input({ maxRetries: 101 }))).rejects.toThrow(/^max_retries:/);
    await expect(s.enqueueMany([input(), input({ category: "" }), input({ category: "x".repeat(129) })])).rejects.toThrow(
      /^tasks\[2\]\.category:/,
    );
    await expect(s.enqueue(input({ args: ["x".repeat(1 << 20)] }))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.get("00000000-0000-7000-8000-000000000000")).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(s.stats().total).toBe(0);
  });

  it("counts every task exactly, beyond 1,000", async () => {
    const { s, lease } = await setup();
    await s.enqueueMany(Array.from({ length: 1500 }, (_, i) => input({ category: i % 2 ? "odd" : "even" })));
    const leased = await lease({ category: "odd", maxTasks: 10 });
    await s.complete({ taskId: leased[0]!.task.id, leaseToken: leased[0]!.leaseToken });
    const st = s.stats();
    expect(st).toMatchObject({ total: 1500, running: 9, queued: 1490, byStatus: { pending: 1490, started: 9, success: 1 } });
    expect(st.byCategory).toEqual({ even: 750, odd: 750 });
    expect(st.categories.find((c) => c.category === "odd")).toMatchObject({ running: 9, workersSeen: 1 });
  });

  it("answers a waiting long-poll as soon as a task is enqueued, or empty when wait runs out", async () => {
    const { s, lease, advance } = await setup();
    const waiting = lease({ waitMs: 30_000 });
    const { task } = await s.enqueue(input());
    expect((await waiting).map((l) => l.task.id)).toEqual([task.id]);
    const empty = lease({ waitMs: 30_000 });
    await advance(30_000);
    expect(await empty).toEqual([]);
  });

  it("hands back a lease whose caller left while it was being committed", async () => {
    const inner = createMemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Holds commits of changed tasks (the lease) until released; enqueues pass.
    const store: Store = {
      ...inner,
      taskSaveMany: async (p) => {
        if (p.updated.length > 0) await gate;
        return inner.taskSaveMany(p);
      },
    };
    const { s, lease } = await setup(store);
    const ac = new AbortController();
    const polling = s.lease({ category: "c", workerId: "gone", maxTasks: 1, leaseMs: 30_000, waitMs: 30_000 }, ac.signal);
    const { task } = await s.enqueue(input({ category: "c" }));
    ac.abort(); // the task went to the poll; its lease is waiting to be committed
    release();
    expect(await polling).toEqual([]);
    expect(await s.get(task.id)).toMatchObject({ status: "pending", attempt: 0, lease: undefined });
    expect((await lease({ category: "c" })).map((l) => l.task.id)).toEqual([task.id]);
  });

  it("streams a task's changes to a watcher, ending after the final status", async () => {
    const { s, lease } = await setup();
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

describe("Scheduler rebuild", () => {
  it("restores queued tasks to their exact place and keeps leases until they expire", async () => {
    const store = createMemoryStore();
    const first = await setup(store);
    const ids: string[] = [];
    for (const p of ["low", "high", "low", "high", "normal"] as const) ids.push((await first.s.enqueue(input({ priority: p }))).task.id);
    const [held] = await first.lease({ leaseMs: 10_000 }); // the first high
    first.s.drain();
    // Same store, new scheduler: as after a restart.
    const clock = new FakeClock(first.clock.now());
    const s = await Scheduler.open({ store, clock });
    const advance = async (ms: number) => {
      clock.advance(ms);
      await s.settled();
    };
    const order: string[] = [];
    for (let l = await s.lease({ category: "default", workerId: "w", maxTasks: 1, leaseMs: 1000, waitMs: 0 }); l.length; ) {
      order.push(l[0]!.task.id);
      l = await s.lease({ category: "default", workerId: "w", maxTasks: 1, leaseMs: 60_000, waitMs: 0 });
    }
    expect(order).toEqual([ids[3], ids[4], ids[0], ids[2]]);
    expect((await s.get(held!.task.id)).status).toBe("started");
    await advance(10_000);
    expect((await s.get(held!.task.id)).status).toBe("failed");
  });
});
