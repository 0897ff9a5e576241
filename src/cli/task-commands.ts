/**
 * `gobq enqueue|get|list|cancel|retry|purge`: one SDK call each, printed as text or, with
 * --json, as the SDK's objects. A request that changed nothing (cancel of a finished task,
 * retry of one that did not fail) ends with exit code 1, so scripts notice.
 */
import type { EnqueueOptions, ListFilter, Task } from "@gobq/sdk";
import ms from "ms";
import { type CommandContext, writeJson } from "./command-context.js";
import { CommandError, unsuccessfulEnd } from "./command-error.js";
import { formatColumns } from "./columns.js";
import { percent, relativeTime, statusText, taskDetails } from "./task-text.js";

/** `gobq enqueue`: prints the new task's id; with `wait`, waits for its final status and prints that. */
export async function enqueueTask(ctx: CommandContext, name: string, options: EnqueueOptions, wait: boolean): Promise<void> {
  const task = await ctx.client.enqueue(name, options);
  if (!wait) {
    if (ctx.json) writeJson(ctx.out, task);
    else ctx.out.write(`${task.id}\n`);
    return;
  }
  const final = await ctx.client.waitFor(task.id);
  if (ctx.json) writeJson(ctx.out, final);
  else ctx.out.write(`${final.id} ${statusText(final)}\n`);
  const failure = unsuccessfulEnd(final);
  if (failure) throw failure;
}

/** `gobq get`: the task as it is now. */
export async function getTask(ctx: CommandContext, id: string): Promise<void> {
  const task = await ctx.client.get(id);
  if (ctx.json) writeJson(ctx.out, task);
  else ctx.out.write(`${taskDetails(task, Date.now()).join("\n")}\n`);
}

/** `gobq list`: the newest `limit` tasks matching the filter, newest first. */
export async function listTasks(ctx: CommandContext, filter: ListFilter, limit: number): Promise<void> {
  const tasks: Task[] = [];
  let more = false;
  // One more than asked for, so the text can say that the list was cut.
  for await (const task of ctx.client.list({ ...filter, pageSize: Math.min(limit + 1, 1000) })) {
    if (tasks.length === limit) {
      more = true;
      break;
    }
    tasks.push(task);
  }
  if (ctx.json) return writeJson(ctx.out, tasks);
  if (tasks.length === 0) {
    ctx.out.write("no tasks\n");
    return;
  }
  const now = Date.now();
  const rows = tasks.map((t) => [
    t.id,
    t.name,
    t.category,
    t.priority,
    t.status === "started" ? `started ${percent(t.progress)}` : t.status,
    relativeTime(t.createdAt, now),
  ]);
  const lines = formatColumns([["ID", "NAME", "CATEGORY", "PRIORITY", "STATUS", "CREATED"], ...rows]);
  if (more) lines.push(`(the newest ${limit} shown; --limit shows more)`);
  ctx.out.write(`${lines.join("\n")}\n`);
}

/** `gobq cancel`: a queued task never runs; a running one is stopped by its worker. */
export async function cancelTask(ctx: CommandContext, id: string): Promise<void> {
  const { task, cancelled } = await ctx.client.cancel(id);
  if (ctx.json) writeJson(ctx.out, { task, cancelled });
  const running = task.status === "started";
  if (!cancelled && !(running && task.cancelRequested)) {
    throw new CommandError(`task ${task.id} is already ${task.status}; only pending, retry and started tasks can be cancelled`);
  }
  if (ctx.json) return;
  if (!running) ctx.out.write(`cancelled ${task.id}\n`);
  else ctx.out.write(`cancel requested: ${task.id} is running; its worker stops it at its next heartbeat\n`);
}

/** `gobq retry`: a failed task is queued again. */
export async function retryTask(ctx: CommandContext, id: string): Promise<void> {
  const { task, retried } = await ctx.client.retry(id);
  if (ctx.json) writeJson(ctx.out, { task, retried });
  if (!retried) throw new CommandError(`task ${task.id} is ${task.status}; only failed tasks can be retried`);
  if (!ctx.json) ctx.out.write(`retrying ${task.id}: ${task.status} again\n`);
}

/** `gobq purge`: deletes tasks that finished more than `olderThanMs` ago. */
export async function purgeTasks(ctx: CommandContext, olderThanMs: number): Promise<void> {
  const deleted = await ctx.client.purge({ olderThanMs });
  if (ctx.json) writeJson(ctx.out, { deleted });
  else ctx.out.write(`deleted ${deleted} ${deleted === 1 ? "task" : "tasks"} that finished more than ${ms(olderThanMs, { long: true })} ago\n`);
}
