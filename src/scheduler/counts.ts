/**
 * Exact task counts by category and status, loaded from the store at start and kept in
 * step with every transition — so stats never sample or scan (the original counted only
 * its latest 1,000 tasks).
 */
import type { TaskCount } from "../store/store.js";
import type { TaskStatus } from "../task/task.js";

/** Counts by category, then status. */
export class Counts {
  private readonly byCategory = new Map<string, Map<TaskStatus, number>>();
  /** Totals over all categories, kept in step so that limits never sum the categories. */
  private readonly byStatus = new Map<TaskStatus, number>();

  /** Adds stored counts (at start). */
  load(counts: readonly TaskCount[]): void {
    for (const c of counts) this.add(c.category, c.status, c.count);
  }

  /** Adds `n` (may be negative) to one category's status. */
  add(category: string, status: TaskStatus, n: number): void {
    let m = this.byCategory.get(category);
    if (m === undefined) {
      m = new Map();
      this.byCategory.set(category, m);
    }
    const next = (m.get(status) ?? 0) + n;
    if (next === 0) m.delete(status);
    else m.set(status, next);
    if (m.size === 0) this.byCategory.delete(category);
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + n);
  }

  /** Moves one task from one status to another. */
  move(category: string, from: TaskStatus, to: TaskStatus): void {
    if (from === to) return;
    this.add(category, from, -1);
    this.add(category, to, 1);
  }

  get(category: string, status: TaskStatus): number {
    return this.byCategory.get(category)?.get(status) ?? 0;
  }

  /** Count of one status over all categories. */
  total(status: TaskStatus): number {
    return this.byStatus.get(status) ?? 0;
  }

  categories(): string[] {
    return [...this.byCategory.keys()].sort();
  }

  /** Count by status within one category. */
  statuses(category: string): ReadonlyMap<TaskStatus, number> {
    return this.byCategory.get(category) ?? new Map();
  }
}
