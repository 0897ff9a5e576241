/**
 * Category settings as the in-memory scheduler applies them at lease time (see
 * src/task/category-settings.ts): loaded from the store at start, replaced after each
 * committed change, with one token bucket per rate-limited category. Buckets live in memory
 * only: after a restart each starts full.
 *
 * When a lease finds no rate token, the gate arms one timer for the category at the time the
 * next token is due, and the scheduler then offers the category's ready tasks to its waiting
 * long-polls again — they are woken, never made to poll.
 */
import {
  admitStarts,
  clampBucket,
  isDefaultSettings,
  takeTokens,
  type CategorySettings,
  type TokenBucket,
} from "../task/category-settings.js";
import type { Clock } from "./clock.js";
import type { Counts } from "./counts.js";
import { WakeTimers } from "./wake-timers.js";

/** See the module comment. */
export class CategoryGate {
  private readonly settings = new Map<string, CategorySettings>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly wakes: WakeTimers;

  /** `onTokens(category)` runs when a rate token the category waited for is due. */
  constructor(
    private readonly clock: Clock,
    onTokens: (category: string) => void,
  ) {
    this.wakes = new WakeTimers(clock, onTokens);
  }

  /** Every category with settings (not the default). */
  get all(): ReadonlyMap<string, CategorySettings> {
    return this.settings;
  }

  /** Applies committed settings; a bucket kept across a change of rate is clamped to the new burst. */
  set(settings: CategorySettings): void {
    const { category } = settings;
    if (isDefaultSettings(settings)) this.settings.delete(category);
    else this.settings.set(category, settings);
    const bucket = this.buckets.get(category);
    if (settings.maxStartsPerSecond === 0) this.buckets.delete(category);
    else if (bucket) this.buckets.set(category, clampBucket(bucket, settings.maxStartsPerSecond));
  }

  /** Whether an attempt that ends may let a lease start in the category: it has a max running. */
  capsRunning(category: string): boolean {
    return (this.settings.get(category)?.maxRunning ?? 0) > 0;
  }

  /**
   * How many of `wanted` tasks a lease may start in the category now (its STARTED tasks
   * are read from `counts`). Call `started` with the number actually started.
   */
  allowance(category: string, wanted: number, counts: Counts): number {
    const settings = this.settings.get(category);
    if (settings === undefined) return wanted;
    const now = this.clock.now();
    const running = settings.maxRunning > 0 ? counts.get(category, "started") : 0;
    const admission = admitStarts({ settings, wanted, running, bucket: this.buckets.get(category), now });
    if (admission.bucket) this.buckets.set(category, admission.bucket);
    if (admission.allowed === 0 && admission.retryAt !== undefined) this.wakes.at(category, admission.retryAt);
    return admission.allowed;
  }

  /** Takes the tokens of `n` leases just started in the category. */
  started(category: string, n: number): void {
    const bucket = this.buckets.get(category);
    if (bucket !== undefined && n > 0) this.buckets.set(category, takeTokens(bucket, n));
  }

  /** Cancels the timers (the server is stopping). */
  stop(): void {
    this.wakes.stop();
  }
}
