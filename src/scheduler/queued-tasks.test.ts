/**
 * Ready tasks wait in their queue in compact form (queued-record.ts): what a caller reads,
 * leases or cancels must be the task as it was, field by field — also after a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Task } from "../task/task.js";
import { openDuckDbStore } from "../store/duckdb/index.js";
import { createMemoryStore } from "../store/memory/index.js";
import type { Store } from "../store/store.js";
import { FakeClock } from "./clock.js";
import { Scheduler, type LeaseRequest } from "./scheduler.js";
import { input } from "./schedulertest/index.js";

const root = mkdtempSync(join(tmpdir(), "gobq-queued-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const opened: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.stop()));
});

async function open(store: Store, clock = new FakeClock()) {
  const s = await Scheduler.open({ store, clock, random: () => 0.5 });
  opened.push(s);
  const lease = (over: Partial<LeaseRequest> = {}) =>
    s.lease({ category: "c", workerId: "w1", maxTasks: 1, leaseMs: 30_000, waitMs: 0, ...over });
  return { s, clock, lease };
}

// Every field a producer may set, with values a compact form could get wrong.
const FULL = input({
  name: "resize",
  category: "c",
  priority: "high",
  args: ["café ☕", 1.5, null, [true, { deep: [] }], -0.25],
  kwargs: { w: 200, empty: {}, nothing: null, text: 'quote " and \\ and \n' },
  maxRetries: 3,
  timeoutMs: 90_000,
  idempotencyKey: "key-1",
  retryPolicy: { initialMs: 500, maxMs: 4000, multiplier: 3, jitter: 0 },
});

/** What a lease changes of a queued task. */
function asLeased(queued: Task, leased: Task): Task {
  return { ...queued, status: "started", attempt: queued.attempt + 1, startedAt: leased.startedAt, completedAt: undefined, lease: leased.lease, seq: leased.seq, readySeq: undefined };
}

describe("queued tasks in compact form", () => {
  it("read back, and lease, exactly as enqueued", async () => {
    const { s, lease } = await open(createMemoryStore());
    const { task } = await s.enqueue(FULL);
    const plain = (await s.enqueue(input({ category: "c" }))).task;
    expect(await s.get(task.id)).toEqual(task);
    expect(await s.get(plain.id)).toEqual(plain);
    const [leased] = await lease();
    expect(leased!.task).toEqual(asLeased(task, leased!.task));
  });

  it("keep the error, counts and times of a failed attempt when queued again", async () => {
    const { s, clock, lease } = await open(createMemoryStore());
    const { task } = await s.enqueue(FULL);
    const [first] = await lease();
    await s.heartbeat({ taskId: task.id, leaseToken: first!.leaseToken, progress: 40, progressMessage: "half ✓", extendByMs: undefined });
    await s.fail({ taskId: task.id, leaseToken: first!.leaseToken, error: { message: "boom", type: "IOError" }, retryable: true, requeue: false });
    clock.advance(500); // the backoff
    await s.settled();
    const queued = await s.get(task.id);
    expect(queued).toMatchObject({ status: "pending", retryCount: 1, attempt: 1, progress: 40, progressMessage: "half ✓" });
    expect(queued.error).toEqual({ message: "boom", type: "IOError" });
    const [second] = await lease();
    expect(second!.task).toEqual(asLeased(queued, second!.task));
  });

  it("leave their queue when cancelled, the others keeping their order", async () => {
    const { s, lease } = await open(createMemoryStore());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await s.enqueue(input({ category: "c", kwargs: { i } }))).task.id);
    expect(await s.cancel(ids[1]!)).toMatchObject({ cancelled: true, task: { status: "cancelled" } });
    expect(await s.cancel(ids[1]!)).toMatchObject({ cancelled: false });
    expect(s.stats().categories.find((c) => c.category === "c")?.queuedByPriority.normal).toBe(4);
    const leased = await lease({ maxTasks: 10 });
    expect(leased.map((l) => l.task.id)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    expect(leased.map((l) => l.task.kwargs)).toEqual([{ i: 0 }, { i: 2 }, { i: 3 }, { i: 4 }]);
  });

  it("are cancelled as running tasks when leased while the cancel reads them", async () => {
    const inner = createMemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Holds reads by id until released, as a slow store read would.
    const { s, lease } = await open({ ...inner, taskGet: async (p) => (await gate, inner.taskGet(p)) });
    const { task } = await s.enqueue(input({ category: "c" }));
    const cancelling = s.cancel(task.id);
    const [leased] = await lease();
    release();
    expect(await cancelling).toMatchObject({ cancelled: true, task: { status: "started", cancelRequested: true } });
    await s.complete({ taskId: task.id, leaseToken: leased!.leaseToken, result: null });
    expect(await s.get(task.id)).toMatchObject({ status: "cancelled" });
  });

  it("come back identical and in order after a restart on a DuckDB file", async () => {
    const path = join(root, "restart", "gobq.duckdb");
    const first = await open(await openDuckDbStore({ path }));
    const tasks: Task[] = [];
    tasks.push((await first.s.enqueue(FULL)).task);
    for (let i = 0; i < 3; i++) tasks.push((await first.s.enqueue(input({ category: "c", priority: "low", kwargs: { i } }))).task);
    await first.s.stop();

    const second = await open(await openDuckDbStore({ path }), new FakeClock(first.clock.now()));
    for (const t of tasks) expect(await second.s.get(t.id)).toEqual(t);
    const leased = await second.lease({ maxTasks: 10 });
    expect(leased.map((l) => l.task)).toEqual(tasks.map((t, i) => asLeased(t, leased[i]!.task)));
  });
});
