/**
 * Time-driven transitions when replicas share the store: leases that expired, attempts
 * past their timeout, retry backoffs that ended, delayed tasks whose run_at came.
 *
 * Every replica sweeps; the store locks what one replica sweeps and the others skip it,
 * so each transition happens exactly once, by whichever replica is first. Between sweeps
 * the sweeper sleeps until the store's next due time, but never longer than `maxSleepMs`
 * (another replica may have scheduled something sooner), and wakes early when told that
 * something was scheduled.
 */
import type { Task } from "../../task/task.js";
import * as transition from "../../task/transitions.js";
import type { SharedStore } from "../../store/shared-store.js";
import type { Clock } from "../clock.js";

/** Tasks one sweep transaction takes at most. */
const SWEEP_BATCH = 500;

/** Options of `Sweeper`. */
export interface SweeperOptions {
  store: SharedStore;
  clock: Clock;
  random: () => number;
  /** Longest sleep between sweeps. */
  maxSleepMs: number;
  /** A sweep failed (the store is away); it is tried again after `maxSleepMs`. */
  onError(err: unknown): void;
}

/** See the module comment. */
export class Sweeper {
  private timer: { at: number; handle: unknown } | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = false;

  constructor(private readonly o: SweeperOptions) {}

  /** Sweeps now and keeps sweeping until `stop`. */
  start(): void {
    this.kick();
  }

  /** Something was scheduled: look at the next due time again now. */
  soon(): void {
    this.kick();
  }

  /** Resolves when no sweep runs or is asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops; waits for a sweep in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimer(this.timer.handle);
    this.timer = undefined;
    await this.running;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.timer) this.o.clock.clearTimer(this.timer.handle);
    this.timer = undefined;
    this.running = this.sweep().finally(() => {
      this.running = undefined;
      if (this.rerun) {
        this.rerun = false;
        this.kick();
      }
    });
  }

  private async sweep(): Promise<void> {
    let next: number | undefined;
    try {
      for (;;) {
        const now = this.o.clock.now();
        const swept = await this.o.store.taskSweepDue({ now, limit: SWEEP_BATCH, change: (task) => this.due(task, now) });
        if (swept.length < SWEEP_BATCH || this.stopped) break;
      }
      next = await this.o.store.taskNextDueAt();
    } catch (err) {
      this.o.onError(err);
    }
    this.arm(next);
  }

  private due(task: Task, now: number): void {
    if (task.status === "started") transition.expireAttempt(task, now, this.o.random);
    else transition.endBackoff(task); // a RETRY leaves its backoff; the store gives PENDING ones their FIFO place
  }

  private arm(next: number | undefined): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const at = Math.min(next ?? Infinity, now + this.o.maxSleepMs);
    if (at <= now) {
      // Due already (time moved while this sweep ran): sweep again as soon as it ends.
      this.rerun = true;
      return;
    }
    const handle = this.o.clock.setTimer(() => {
      this.timer = undefined;
      this.kick();
    }, Math.max(0, at - now));
    this.timer = { at, handle };
  }
}
