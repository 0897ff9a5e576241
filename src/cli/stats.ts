/** `gobq stats`: per category a row of exact counts and its settings, then the totals by status. */
import type { QueueStats, TaskPriority, TaskStatus } from "@gobq/sdk";
import ms from "ms";
import { type CommandContext, writeJson } from "./command-context.js";
import { settingsCell } from "./category-commands.js";
import { type Align, formatColumns } from "./columns.js";

// Leasing order, so the row reads the way workers drain it.
const PRIORITIES: readonly TaskPriority[] = ["critical", "high", "normal", "low"];
// Lifecycle order: waiting, running, finished.
const STATUSES: readonly TaskStatus[] = ["pending", "retry", "started", "success", "failed", "cancelled"];

/** Prints the server's stats as a table, or with --json the SDK's `QueueStats`. */
export async function showStats(ctx: CommandContext): Promise<void> {
  const stats = await ctx.client.stats();
  if (ctx.json) return writeJson(ctx.out, stats);
  ctx.out.write(`${statsLines(stats).join("\n")}\n`);
}

function statsLines(stats: QueueStats): string[] {
  const totals = `total ${stats.total}: ${STATUSES.map((s) => `${s} ${stats.byStatus[s] ?? 0}`).join(", ")}`;
  if (stats.categories.length === 0) return [totals];
  // QUEUED is ready to lease now, split by priority in the next four columns; SCHEDULED waits
  // for its run_at or retry backoff; OLDEST is how long the oldest queued task has waited;
  // SETTINGS is what an admin set: paused, a max running, a max starts per second.
  const header = ["CATEGORY", "QUEUED", "CRITICAL", "HIGH", "NORMAL", "LOW", "RUNNING", "SCHEDULED", "OLDEST", "WORKERS", "TOTAL", "SETTINGS"];
  const rows = stats.categories.map((c) => {
    const queued = PRIORITIES.map((p) => c.queuedByPriority[p]);
    return [
      c.category,
      String(queued.reduce((a, b) => a + b, 0)),
      ...queued.map(String),
      String(c.running),
      String(c.scheduled),
      c.oldestQueuedAgeMs > 0 ? ms(c.oldestQueuedAgeMs) : "-",
      String(c.workersSeen),
      String(stats.byCategory[c.category] ?? 0),
      settingsCell(c),
    ];
  });
  const align: Align[] = header.map((_, i) => (i === 0 || i === header.length - 1 ? "left" : "right"));
  return [...formatColumns([header, ...rows], align), "", totals];
}
