/** How the client commands show a task to a person (`--json` shows the SDK object instead). */
import type { Task } from "@gobq/sdk";
import ms from "ms";
import { formatColumns } from "./columns.js";

/**
 * A task's state in one line: "pending", "started 40% copying files", "success {"ok":true}",
 * "failed: ValueError: boom". `watch` prints it per change, so it holds what changes.
 */
export function statusText(task: Task): string {
  switch (task.status) {
    case "started": {
      const message = task.progressMessage ? ` ${task.progressMessage}` : "";
      return `started ${percent(task.progress)}${message}${task.cancelRequested ? " (cancel requested)" : ""}`;
    }
    case "success":
      return task.result === undefined ? "success" : `success ${JSON.stringify(task.result)}`;
    case "failed":
      return task.error ? `failed: ${errorText(task)}` : "failed";
    case "retry":
      return `retry: attempt ${task.attempt} failed${task.error ? ` (${errorText(task)})` : ""}`;
    default:
      return task.status;
  }
}

/** A task's last error as "Type: message", or the message alone when the type is unknown. */
export function errorText(task: Task): string {
  if (!task.error) return "";
  return task.error.type ? `${task.error.type}: ${task.error.message}` : task.error.message;
}

/** Progress as a whole percentage, e.g. "40%". */
export function percent(progress: number): string {
  return `${Math.round(progress)}%`;
}

/** How long ago (or how far ahead) a time is, e.g. "12s ago", "in 5m". */
export function relativeTime(at: Date, now: number): string {
  const d = now - at.getTime();
  return d >= 0 ? `${ms(d)} ago` : `in ${ms(-d)}`;
}

/** The lines of `gobq get`: one labelled field a line, empty fields left out. */
export function taskDetails(task: Task, now: number): string[] {
  const time = (at: Date | undefined) => at && `${at.toISOString()} (${relativeTime(at, now)})`;
  const rows: Array<[string, string | undefined]> = [
    ["id", task.id],
    ["name", task.name],
    ["category", task.category],
    ["priority", task.priority],
    ["status", task.status + (task.cancelRequested && task.status === "started" ? " (cancel requested)" : "")],
    ["progress", task.progress > 0 || task.progressMessage ? `${percent(task.progress)} ${task.progressMessage}`.trim() : undefined],
    ["args", JSON.stringify(task.args)],
    ["kwargs", JSON.stringify(task.kwargs)],
    ["result", task.result === undefined ? undefined : JSON.stringify(task.result)],
    ["error", task.error ? errorText(task) : undefined],
    ["attempts", `${task.attempt} (retries used ${task.retryCount} of ${task.maxRetries})`],
    ["created", time(task.createdAt)],
    ["run at", time(task.runAt)],
    ["started", time(task.startedAt)],
    ["completed", time(task.completedAt)],
    ["next attempt", time(task.nextAttemptAt)],
    ["timeout", task.timeoutMs === undefined ? undefined : ms(task.timeoutMs)],
    ["idempotency key", task.idempotencyKey],
    ["worker", task.lease && `${task.lease.workerId} (lease until ${task.lease.expiresAt.toISOString()})`],
  ];
  return formatColumns(rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== ""));
}
