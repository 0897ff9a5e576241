/**
 * The in-memory scheduler's fast lane: a task enqueued while a worker's long-poll waits in
 * its category is leased in the enqueue's own commit (scheduler-core.ts `handOff`).
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../store/memory/index.js";
import type { Store } from "../store/store.js";
import type { Task } from "../task/task.js";
import { FakeClock } from "./clock.js";
import { Scheduler, type LeaseRequest } from "./scheduler.js";
import { input } from "./schedulertest/index.js";

/** A memory store that records each commit's rows, and can hold commits until released. */
function recordingStore() {
  const inner = createMemoryStore();
  const commits: Array<{ inserted: readonly Task[]; updated: readonly Task[] }> = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const store: Store = {
    ...inner,
    taskSaveMany: async (p) => {
      commits.push({ inserted: p.inserted, updated: p.updated });
      await gate;
      return inner.taskSaveMany(p);
    },
  };
  return {
    store,
    commits,
    hold: () => (gate = new Promise<void>((r) => (open = r))),
    release: () => {
      gate = undefined;
      open();
    },
  };
}

async function setup(store: Store = createMemoryStore()) {
  const clock = new FakeClock();
  const s = await Scheduler.open({ store, clock, random: () => 0.5 });
  const poll = (over: Partial<LeaseRequest> = {}, signal?: AbortSignal) =>
    s.lease({ category: "c", workerId: "w1", maxTasks: 1, leaseMs: 30_000, waitMs: 30_000, ...over }, signal);
  return { s, clock, poll };
}

describe("Scheduler hand-off at enqueue", () => {
  it("leases a task to a waiting poll in the enqueue's one commit, and answers the enqueue as enqueued", async () => {
    const rec = recordingStore();
    const { s, poll } = await setup(rec.store);
    const polling = poll();
    const { task } = await s.enqueue(input({ category: "c" }));
    const [leased] = await polling;
    expect(task.status).toBe("pending");
    expect(leased!.task.id).toBe(task.id);
    expect(rec.commits).toHaveLength(1);
    expect(rec.commits[0]!.inserted).toMatchObject([{ id: task.id, status: "started", lease: { token: leased!.leaseToken } }]);
    expect(await s.get(task.id)).toMatchObject({ status: "started", attempt: 1 });
    await expect(s.complete({ taskId: task.id, leaseToken: leased!.leaseToken })).resolves.toMatchObject({ status: "success" });
    await s.stop();
  });

  it("keeps the lease across a restart: it was durable when the poll was answered", async () => {
    const store = createMemoryStore();
    const first = await setup(store);
    const polling = first.poll({ leaseMs: 10_000 });
    const { task } = await first.s.enqueue(input({ category: "c" }));
    const [leased] = await polling;
    first.s.drain();
    const again = await Scheduler.open({ store, clock: new FakeClock(first.clock.now()) });
    expect(await again.get(task.id)).toMatchObject({ status: "started", lease: { token: leased!.leaseToken } });
    await again.stop();
  });

  it("tells watchers both transitions, PENDING then STARTED", async () => {
    const { s, poll } = await setup();
    const feed = s.watchAll("c");
    const polling = poll();
    const { task } = await s.enqueue(input({ category: "c" }));
    await polling;
    const seen: Array<[string, number]> = [];
    for await (const e of feed) {
      seen.push([e.task.status, e.seq]);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([
      ["pending", task.seq],
      ["started", task.seq + 1],
    ]);
    await s.stop();
  });

  it("hands over by priority, then FIFO, no more than a poll asks, and only names it takes", async () => {
    const { s, poll } = await setup();
    const onlyB = poll({ workerId: "wb", taskNames: ["b"], maxTasks: 5 });
    const two = poll({ workerId: "w2", maxTasks: 2 });
    const enqueued = await s.enqueueMany([
      input({ category: "c", name: "a", priority: "low" }),
      input({ category: "c", name: "a", priority: "high" }),
      input({ category: "c", name: "b" }),
      input({ category: "c", name: "a", priority: "high" }),
      input({ category: "c", name: "a" }),
    ]);
    const [low, high1, b, high2, normal] = enqueued.map((r) => r.task.id);
    expect((await onlyB).map((l) => l.task.id)).toEqual([b]);
    expect((await two).map((l) => l.task.id)).toEqual([high1, high2]);
    const rest = await s.lease({ category: "c", workerId: "w3", maxTasks: 5, leaseMs: 1000, waitMs: 0 });
    expect(rest.map((l) => l.task.id)).toEqual([normal, low]);
    await s.stop();
  });

  it("hands over nothing while the category is paused, and leases it on resume", async () => {
    const rec = recordingStore();
    const { s, poll } = await setup(rec.store);
    await s.updateCategory({ category: "c", paused: true });
    const polling = poll();
    const { task } = await s.enqueue(input({ category: "c" }));
    expect(rec.commits.at(-1)!.inserted).toMatchObject([{ id: task.id, status: "pending" }]);
    await s.updateCategory({ category: "c", paused: false });
    expect((await polling).map((l) => l.task.id)).toEqual([task.id]);
    await s.stop();
  });

  it("leaves FIFO order alone when an older task still waits for its commit", async () => {
    const rec = recordingStore();
    const { s, poll } = await setup(rec.store);
    rec.hold();
    const older = s.enqueue(input({ category: "c" }));
    const polling = poll();
    const newer = s.enqueue(input({ category: "c" }));
    rec.release();
    const [first, second] = [(await older).task, (await newer).task];
    expect((await polling).map((l) => l.task.id)).toEqual([first.id]);
    expect(second.status).toBe("pending");
    await s.stop();
  });

  it("hands a task back when its poll left while the enqueue's commit ran", async () => {
    const rec = recordingStore();
    const { s } = await setup(rec.store);
    const ac = new AbortController();
    const polling = s.lease({ category: "c", workerId: "gone", maxTasks: 1, leaseMs: 30_000, waitMs: 30_000 }, ac.signal);
    rec.hold();
    const enqueuing = s.enqueue(input({ category: "c" }));
    ac.abort();
    rec.release();
    const { task } = await enqueuing;
    expect(await polling).toEqual([]);
    expect(await s.get(task.id)).toMatchObject({ status: "pending", attempt: 0, lease: undefined });
    await s.stop();
  });

  it("fails the poll with the enqueue when the commit fails, and stores nothing", async () => {
    const inner = createMemoryStore();
    const store: Store = { ...inner, taskSaveMany: async () => Promise.reject(new Error("disk gone")) };
    const { s, poll } = await setup(store);
    const polling = poll();
    await expect(s.enqueue(input({ category: "c" }))).rejects.toThrow();
    await expect(polling).rejects.toThrow(/cannot be written/);
    expect(await inner.taskCountByCategoryAndStatus()).toEqual([]);
  });
});
