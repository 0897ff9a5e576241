/**
 * Overload limits: how many tasks callers may queue, and how many watch streams and waiting
 * long-polls they may hold open. Beyond a limit the call is refused with
 * ResourceExhaustedError (RESOURCE_EXHAUSTED, which clients retry later) and changes
 * nothing, so the server's memory stays bounded however many callers arrive.
 *
 * Measured on Node 20 (one idle stream over gRPC, server side, after GC): a waiting
 * long-poll or an open watcher costs ≈ 37 KB of heap and ≈ 57 KB of RSS, almost all of it
 * Connect's and HTTP/2's per-stream state; a queued small task ≈ 0.9 KB of heap.
 */
import { ResourceExhaustedError } from "../task/errors.js";

/** The limits; each has a default (see DEFAULT_OVERLOAD_LIMITS). */
export interface OverloadLimits {
  /** Tasks waiting to run — PENDING or RETRY, delayed ones included — in all categories together. Default 1,000,000 (≈ 0.9 GB of heap for small tasks). */
  maxQueued: number;
  /** The same within any one category. Default 1,000,000: only the total binds unless set lower. */
  maxQueuedPerCategory: number;
  /** Open WatchTask and WatchTasks streams. Default 5,000 (≈ 185 MB of heap, ≈ 285 MB RSS when all are open). */
  maxWatchers: number;
  /** LeaseTasks long-polls waiting at once; a poll answered at once never waits. Default 5,000 (as watchers). */
  maxPollers: number;
}

/** What callers hold open at one moment; GetStats reports it. */
export interface ServerLoad {
  /** Open WatchTask and WatchTasks streams. */
  watchers: number;
  /** LeaseTasks long-polls waiting for a task. */
  pollers: number;
  /** Events published and not yet taken by their watchers' streams, over all watchers. */
  bufferedWatchEvents: number;
}

/** The default limits. */
export const DEFAULT_OVERLOAD_LIMITS: OverloadLimits = {
  maxQueued: 1_000_000,
  maxQueuedPerCategory: 1_000_000,
  maxWatchers: 5_000,
  maxPollers: 5_000,
};

/** The limits given, each unset one at its default. */
export function resolveOverloadLimits(given: Partial<OverloadLimits> = {}): OverloadLimits {
  return {
    maxQueued: given.maxQueued ?? DEFAULT_OVERLOAD_LIMITS.maxQueued,
    maxQueuedPerCategory: given.maxQueuedPerCategory ?? DEFAULT_OVERLOAD_LIMITS.maxQueuedPerCategory,
    maxWatchers: given.maxWatchers ?? DEFAULT_OVERLOAD_LIMITS.maxWatchers,
    maxPollers: given.maxPollers ?? DEFAULT_OVERLOAD_LIMITS.maxPollers,
  };
}

/**
 * Refuses, before anything changes, an enqueue that would take a category or the total past
 * its limit: `adding` counts the new tasks by category; `queued` gives what waits now.
 */
export function checkQueueRoom(
  limits: OverloadLimits,
  queued: { total(): number; inCategory(category: string): number },
  adding: ReadonlyMap<string, number>,
): void {
  let added = 0;
  for (const [category, n] of adding) {
    added += n;
    const now = queued.inCategory(category);
    if (now + n > limits.maxQueuedPerCategory) {
      throw new ResourceExhaustedError(
        `category ${JSON.stringify(category)} holds ${now} queued tasks; ${n} more would pass its limit of ${limits.maxQueuedPerCategory}`,
      );
    }
  }
  const total = queued.total();
  if (total + added > limits.maxQueued) {
    throw new ResourceExhaustedError(`${total} tasks are queued; ${added} more would pass the limit of ${limits.maxQueued}`);
  }
}

/** Counts what is held open — streams, long-polls — against a ceiling. */
export class Slots {
  private count = 0;

  constructor(
    private readonly max: number,
    /** Names what is held, for the refusal, e.g. "waiting long-polls". */
    private readonly what: string,
  ) {}

  /** How many are held now. */
  get held(): number {
    return this.count;
  }

  /** Takes a slot and returns its release (idempotent); throws ResourceExhaustedError if none is free. */
  take(): () => void {
    if (this.count >= this.max) throw new ResourceExhaustedError(`${this.count} ${this.what} are open, the limit; try again later`);
    this.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
    };
  }
}
