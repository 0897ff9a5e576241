/**
 * `gobq watch ID`: follows a task until its final status. On a terminal it redraws one line
 * with a progress bar; into a pipe or file it prints one line per visible change (a
 * heartbeat that changes nothing prints nothing); with --json one event object a line.
 */
import type { Task } from "@gobq/sdk";
import { type CommandContext, type Output } from "./command-context.js";
import { unsuccessfulEnd } from "./command-error.js";
import { percent, statusText } from "./task-text.js";

/** How one way of showing a watch draws each change and the end. */
interface WatchView {
  change(seq: number, task: Task): void;
  end(task: Task): void;
}

/** Follows the task until it ends; exit code 1 (via the thrown error) if it failed or was cancelled. */
export async function watchTask(ctx: CommandContext, id: string): Promise<void> {
  // The SDK's watch re-opens a dropped stream for as long as the server stays away, which is
  // right mid-watch but would hang on a server that is down from the start: ask once first.
  await ctx.client.get(id);
  const view = ctx.json ? jsonView(ctx.out) : ctx.out.isTTY ? barView(ctx.out) : lineView(ctx.out);
  let last: Task | undefined;
  for await (const { seq, task } of ctx.client.watch(id)) {
    view.change(seq, task);
    last = task;
  }
  // watch ends only after a final status, so `last` is set.
  view.end(last!);
  const failure = unsuccessfulEnd(last!);
  if (failure) throw failure;
}

function jsonView(out: Output): WatchView {
  return {
    change: (seq, task) => out.write(`${JSON.stringify({ seq, task })}\n`),
    end: () => {},
  };
}

function lineView(out: Output): WatchView {
  let previous = "";
  return {
    change(_seq, task) {
      const line = statusText(task);
      if (line !== previous) out.write(`${line}\n`);
      previous = line;
    },
    end: () => {},
  };
}

function barView(out: Output): WatchView {
  // "\r" back to the line's start, ESC[2K erases it: the bar is redrawn in place.
  const redraw = (text: string) => out.write(`\r\x1b[2K${text}`);
  return {
    // A pseudo-terminal without a size (e.g. under `script`) reports 0 columns: assume 80.
    change: (_seq, task) => redraw(progressLine(task, out.columns || 80)),
    end: (task) => redraw(`${task.id} ${statusText(task)}\n`),
  };
}

/** One terminal line: a bar, the percentage, the status and the worker's message, cut to fit `width`. */
function progressLine(task: Task, width: number): string {
  const barWidth = Math.max(10, Math.min(30, width - 50));
  const filled = Math.round((barWidth * Math.min(100, Math.max(0, task.progress))) / 100);
  const bar = `${"█".repeat(filled)}${"░".repeat(barWidth - filled)}`;
  const message = task.progressMessage ? `  ${task.progressMessage}` : "";
  const text = `${bar} ${percent(task.progress).padStart(4)}  ${task.status}${message}`;
  // One short of the width: writing the last column makes some terminals wrap.
  return text.length < width ? text : text.slice(0, Math.max(0, width - 1));
}
