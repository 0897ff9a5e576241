/**
 * Announcing committed changes with NOTIFY. Many changes share one notification: the
 * payload is a JSON array of `[id, category, status, seq, ready, task]` tuples, kept under
 * PostgreSQL's 8000-byte payload limit; a task too large to fit on its own is announced
 * without its sixth element. A change of a category's settings is announced on the same
 * channel as `{"category": settings}`. Sent inside the writing transaction, so they are
 * delivered on commit and never for a change that was rolled back.
 */
import type { CategorySettings } from "../../task/category-settings.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../../task/task.js";
import { copyTask } from "../copy-task.js";
import type { TaskChange } from "../shared-store.js";
import type { SchemaNames } from "./schema.js";
import type { Queryable } from "./task-queries.js";

// PostgreSQL refuses a payload of 8000 bytes or more.
const PAYLOAD_LIMIT_BYTES = 7999;

type ChangeTuple = [id: string, category: string, status: TaskStatus, seq: number, ready: 0 | 1, task?: Task];

/** Sends the changes of `tasks` (as they are saved) on the schema's channel, in order. */
export async function notifyChanges(db: Queryable, names: SchemaNames, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 0) return;
  // unnest yields the payloads in array order, and pg_notify queues them in the order called.
  await db.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [names.channel, encodeChanges(tasks)]);
}

/** The payloads announcing `tasks`, in order, each under the payload limit. */
export function encodeChanges(tasks: readonly Task[]): string[] {
  const payloads: string[] = [];
  let parts: string[] = [];
  // The opening bracket, then each part with the comma or closing bracket after it.
  let bytes = 1;
  for (const task of tasks) {
    const tuple: ChangeTuple = [task.id, task.category, task.status, task.seq, isReady(task) ? 1 : 0, task];
    let part = JSON.stringify(tuple);
    let size = Buffer.byteLength(part) + 1;
    if (size + 1 > PAYLOAD_LIMIT_BYTES) {
      part = JSON.stringify(tuple.slice(0, 5));
      size = Buffer.byteLength(part) + 1;
    }
    if (parts.length > 0 && bytes + size > PAYLOAD_LIMIT_BYTES) {
      payloads.push(`[${parts.join(",")}]`);
      parts = [];
      bytes = 1;
    }
    parts.push(part);
    bytes += size;
  }
  if (parts.length > 0) payloads.push(`[${parts.join(",")}]`);
  return payloads;
}

/** The changes in one payload; undefined if it is not one this driver wrote. */
export function decodeChanges(payload: string): TaskChange[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isChangeTuple)) return undefined;
  return parsed.map(([id, category, status, seq, ready, task]) => ({
    id,
    category,
    status,
    seq,
    ready: ready === 1,
    // JSON drops undefined fields; copyTask gives them back as a stored task has them.
    task: task === undefined ? undefined : copyTask(task),
  }));
}

/** Announces a category's settings as they are now committed. */
export async function notifyCategory(db: Queryable, names: SchemaNames, settings: CategorySettings): Promise<void> {
  await db.query("SELECT pg_notify($1, $2)", [names.channel, JSON.stringify({ category: settings })]);
}

/** The settings a category announcement carries; undefined if the payload is not one. */
export function decodeCategory(payload: string): CategorySettings | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const s = (parsed as { category?: Partial<CategorySettings> } | null)?.category;
  if (typeof s !== "object" || s === null) return undefined;
  const { category, paused, maxRunning, maxStartsPerSecond } = s;
  if (typeof category !== "string" || typeof paused !== "boolean" || typeof maxRunning !== "number" || typeof maxStartsPerSecond !== "number") {
    return undefined;
  }
  return { category, paused, maxRunning, maxStartsPerSecond };
}

// Ready: PENDING with a readySeq, so long-polls of its category may wake.
function isReady(task: Task): boolean {
  return task.status === "pending" && task.readySeq !== undefined;
}

function isChangeTuple(value: unknown): value is ChangeTuple {
  return (
    Array.isArray(value) &&
    (value.length === 5 || (value.length === 6 && (value[5] as Partial<Task> | null)?.id === value[0])) &&
    typeof value[0] === "string" &&
    typeof value[1] === "string" &&
    TASK_STATUSES.includes(value[2] as TaskStatus) &&
    Number.isSafeInteger(value[3]) &&
    (value[4] === 0 || value[4] === 1)
  );
}
