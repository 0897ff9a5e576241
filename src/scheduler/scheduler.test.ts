/** The in-memory scheduler: the conformance suite, and what only it does (hold commits, rebuild from its store). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../store/memory/index.js";
import type { Store } from "../store/store.js";
import { foldSegmentsInto } from "../store/wal/fold.js";
import { withWriteAheadLog } from "../store/wal/logged-store.js";
import { FakeClock } from "./clock.js";
import { Scheduler, type LeaseRequest } from "./scheduler.js";
import { exerciseScheduler, input } from "./schedulertest/index.js";
import type { TaskScheduler } from "./task-scheduler.js";

// The store of each scheduler the suite opened, for `sameStoreAs`.
const storeOf = new WeakMap<TaskScheduler, Store>();
exerciseScheduler("in-memory", async ({ clock, random, sameStoreAs }) => {
  const store = sameStoreAs ? storeOf.get(sameStoreAs)! : createMemoryStore();
  const s = await Scheduler.open({ store, clock, random });
  storeOf.set(s, store);
  return s;
});

async function setup(store: Store = createMemoryStore()) {
  const clock = new FakeClock();
  const s = await Scheduler.open({ store, clock, random: () => 0.5 });
  const lease = (over: Partial<LeaseRequest> = {}) =>
    s.lease({ category: "default", workerId: "w1", maxTasks: 1, leaseMs: 30_000, waitMs: 0, ...over });
  return { s, clock, store, lease };
}

describe("Scheduler (in-memory) commits", () => {
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
    const { task } = await s.enqueue(input({ category: "c" }));
    const ac = new AbortController();
    const polling = s.lease({ category: "c", workerId: "gone", maxTasks: 1, leaseMs: 30_000, waitMs: 30_000 }, ac.signal);
    ac.abort(); // the poll took the queued task; its lease is waiting to be committed
    release();
    expect(await polling).toEqual([]);
    expect(await s.get(task.id)).toMatchObject({ status: "pending", attempt: 0, lease: undefined });
    expect((await lease({ category: "c" })).map((l) => l.task.id)).toEqual([task.id]);
  });
});

describe("Scheduler list", () => {
  it("shows a change whose commit lands while the store is read, after stats counted it", async () => {
    // The DuckDB store's shape: a write-ahead log that a list folds before it reads. The
    // interleaving of test/chaos/server-kill: the list's fold closes the log segment while
    // the completion waits in the group commit; the completion then lands in the next
    // segment, and is acknowledged (the task leaves `live`) before the fold's read answers.
    const dir = mkdtempSync(join(tmpdir(), "gobq-list-"));
    const inner = createMemoryStore();
    let completing: Promise<unknown> = Promise.resolve();
    const logged = await withWriteAheadLog(inner, {
      base: join(dir, "gobq.duckdb"),
      foldEveryMs: 60_000,
      // The fold takes long enough for the completion to be committed meanwhile.
      foldSegments: async (request) => {
        await completing.catch(() => {});
        await foldSegmentsInto(inner, request);
      },
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    // Holds the commit of the completion until released; everything else passes.
    const store: Store = {
      ...logged,
      taskSaveMany: async (p) => {
        if (p.updated.some((t) => t.status === "success")) {
          held();
          await gate;
        }
        return logged.taskSaveMany(p);
      },
    };
    const { s } = await setup(store);
    try {
      const { task } = await s.enqueue(input({ category: "c" }));
      const [leased] = await s.lease({ category: "c", workerId: "w", maxTasks: 1, leaseMs: 1000, waitMs: 0 });
      completing = s.complete({ taskId: task.id, leaseToken: leased!.leaseToken });
      await holding;
      // Counted at once, committed later: stats says every task finished.
      expect(s.stats().byStatus).toEqual({ success: 1 });
      const listing = s.list({ category: "c" });
      release();
      expect((await listing).tasks.map((t) => [t.id, t.status])).toEqual([[task.id, "success"]]);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
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
