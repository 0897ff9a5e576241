/** What each scheduler conformance test starts from: a scheduler on a fake clock, and helpers. */
import { afterEach } from "vitest";
import type { EnqueueInput } from "../../task/validate.js";
import { FakeClock } from "../clock.js";
import type { LeaseRequest } from "../lease-waiters.js";
import type { TaskScheduler } from "../task-scheduler.js";

/**
 * Opens a scheduler on an empty store of its own, on the given clock and random source — or,
 * with `sameStoreAs`, on the store that scheduler was opened on (it was drained first), as a
 * restart would.
 */
export type OpenScheduler = (options: { clock: FakeClock; random: () => number; sameStoreAs?: TaskScheduler }) => Promise<TaskScheduler>;

/** A scheduler under test and its helpers. */
export interface SchedulerUnderTest {
  s: TaskScheduler;
  clock: FakeClock;
  /** Leases from category "default" as worker "w1", one task, no wait, unless overridden. */
  lease: (over?: Partial<LeaseRequest>) => ReturnType<TaskScheduler["lease"]>;
  /** Moves fake time and lets what the timers did commit. */
  advance: (ms: number) => Promise<void>;
}

/** Given to each describe function of the suite. */
export interface SchedulerSuite {
  setup(): Promise<SchedulerUnderTest>;
  /** Drains `previous` and opens a new scheduler on its store, its clock going on from the same time. */
  reopen(previous: SchedulerUnderTest): Promise<SchedulerUnderTest>;
}

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

/** An enqueue input with defaults for every field not given. */
export function input(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return { ...EMPTY, ...overrides };
}

/** Registers the hook that stops every scheduler a test opened; returns the suite context. */
export function useSchedulers(open: OpenScheduler): SchedulerSuite {
  const opened: TaskScheduler[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.stop()));
  });
  const start = async (clock: FakeClock, sameStoreAs?: TaskScheduler): Promise<SchedulerUnderTest> => {
    const s = await open({ clock, random: () => 0.5, sameStoreAs });
    opened.push(s);
    return {
      s,
      clock,
      lease: (over = {}) => s.lease({ category: "default", workerId: "w1", maxTasks: 1, leaseMs: 30_000, waitMs: 0, ...over }),
      advance: async (ms) => {
        clock.advance(ms);
        await s.settled();
      },
    };
  };
  return {
    setup: () => start(new FakeClock()),
    async reopen(previous) {
      previous.s.drain();
      await previous.s.settled();
      return start(new FakeClock(previous.clock.now()), previous.s);
    },
  };
}
