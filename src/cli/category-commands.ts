/**
 * `gobq pause|resume|limits`: an admin's settings of one category. Each prints the category's
 * settings as the server holds them after the change, as text or, with --json, as the SDK's
 * `CategorySettings`.
 */
import type { CategoryLimits, CategorySettings } from "@gobq/sdk";
import { type CommandContext, writeJson } from "./command-context.js";

/** `gobq pause`: the category's tasks are still accepted, none is leased until `gobq resume`. */
export async function pauseCategory(ctx: CommandContext, category: string): Promise<void> {
  print(ctx, await ctx.client.pause(category));
}

/** `gobq resume`: the category is leased again. */
export async function resumeCategory(ctx: CommandContext, category: string): Promise<void> {
  print(ctx, await ctx.client.resume(category));
}

/** `gobq limits`: changes the limits given (0 removes one), keeps the others, and prints them all. */
export async function setCategoryLimits(ctx: CommandContext, category: string, limits: CategoryLimits): Promise<void> {
  print(ctx, await ctx.client.setLimits(category, limits));
}

/** The settings in one compact cell without spaces, as `gobq stats` shows them: "-" for none. */
export function settingsCell(s: Omit<CategorySettings, "category">): string {
  const parts: string[] = [];
  if (s.paused) parts.push("paused");
  if (s.maxRunning > 0) parts.push(`running<=${s.maxRunning}`);
  if (s.maxStartsPerSecond > 0) parts.push(`starts<=${s.maxStartsPerSecond}/s`);
  return parts.length === 0 ? "-" : parts.join(",");
}

function print(ctx: CommandContext, s: CategorySettings): void {
  if (ctx.json) return writeJson(ctx.out, s);
  const running = s.maxRunning > 0 ? `at most ${s.maxRunning} running` : "no limit on running tasks";
  const rate = s.maxStartsPerSecond > 0 ? `at most ${s.maxStartsPerSecond} started per second` : "no limit on starts per second";
  ctx.out.write(`${s.category}: ${s.paused ? "paused" : "leasing"}, ${running}, ${rate}\n`);
}
