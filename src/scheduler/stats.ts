/** The shape of GetStats, built from exact counts. */
import type { CategorySettings } from "../task/category-settings.js";
import { TASK_PRIORITIES, type TaskPriority, type TaskStatus } from "../task/task.js";
import type { Counts } from "./counts.js";

/** Counts for one category. */
export interface CategoryStats {
  category: string;
  queuedByPriority: Record<TaskPriority, number>;
  running: number;
  /** Waiting for run_at or for a retry backoff. */
  scheduled: number;
  /** Milliseconds the oldest ready task has waited; 0 if none. */
  oldestQueuedAgeMs: number;
  /** Distinct workers that leased from the category in the last 60 s. */
  workersSeen: number;
  /** Whether leasing is paused. */
  paused: boolean;
  /** Most STARTED tasks at once; 0: no limit. */
  maxRunning: number;
  /** Most leases started per second; 0: no limit. */
  maxStartsPerSecond: number;
}

/** Exact counts over all stored tasks. */
export interface Stats {
  total: number;
  byStatus: Partial<Record<TaskStatus, number>>;
  byCategory: Record<string, number>;
  running: number;
  /** Ready to be leased. */
  queued: number;
  categories: CategoryStats[];
}

/** What stats need of a category's ready tasks; a ReadyQueue is one. */
export interface ReadySummary {
  readonly size: number;
  /** Ready tasks by priority rank, low (0) … critical (3). */
  readonly countByRank: readonly number[];
  /** When the longest-waiting ready task became ready; undefined if none. */
  oldestReadyAt(): number | undefined;
}

/**
 * Builds stats from the counters, a summary of each category's ready tasks and the settings
 * of the categories that have any (listed even when they hold no task).
 */
export function buildStats(
  counts: Counts,
  live: ReadonlyMap<string, { ready: ReadySummary; workers: number }>,
  now: number,
  settings: ReadonlyMap<string, CategorySettings>,
): Stats {
  const stats: Stats = { total: 0, byStatus: {}, byCategory: {}, running: 0, queued: 0, categories: [] };
  const names = new Set([...counts.categories(), ...live.keys(), ...settings.keys()]);
  for (const category of [...names].sort()) {
    let inCategory = 0;
    for (const [status, n] of counts.statuses(category)) {
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + n;
      inCategory += n;
    }
    const c = live.get(category);
    const set = settings.get(category);
    if (inCategory === 0 && (c?.workers ?? 0) === 0 && set === undefined) continue; // every task purged, no worker around
    const queued = c?.ready.size ?? 0;
    const running = counts.get(category, "started");
    const oldest = c?.ready.oldestReadyAt();
    stats.total += inCategory;
    stats.running += running;
    stats.queued += queued;
    if (inCategory > 0) stats.byCategory[category] = inCategory;
    stats.categories.push({
      category,
      queuedByPriority: Object.fromEntries(TASK_PRIORITIES.map((p, i) => [p, c?.ready.countByRank[i] ?? 0])) as Record<TaskPriority, number>,
      running,
      scheduled: counts.get(category, "pending") - queued + counts.get(category, "retry"),
      oldestQueuedAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
      workersSeen: c?.workers ?? 0,
      paused: set?.paused ?? false,
      maxRunning: set?.maxRunning ?? 0,
      maxStartsPerSecond: set?.maxStartsPerSecond ?? 0,
    });
  }
  return stats;
}
