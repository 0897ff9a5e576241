/**
 * The compact text of a ready task while it waits in its ready queue (packed-fifo.ts).
 *
 * What the queue knows already is left out: the category, name and priority (its lane),
 * the status (PENDING), the readySeq (the record's number) and the id (packed beside the
 * text). The rest is one JSON array, the fields nearly every queued task has first and the
 * rarely set ones last, in an object that JSON.stringify writes without its undefined fields:
 *
 *   [args, kwargs, maxRetries, retryCount, attempt, createdAt, readyAt - createdAt, seq, rare?]
 *
 * `unpackQueued(task.id, packQueued(task), …)` gives back a task equal to `task` field by field.
 */
import type { JsonObject, JsonValue, Lease, RetryPolicy, Task, TaskError, TaskPriority } from "../task/task.js";

/** The fields of a queued task that are usually unset or at their default. */
interface Rare {
  /** null is kept (a JSON null result); undefined is left out. */
  result?: JsonValue;
  error?: TaskError;
  retryPolicy?: RetryPolicy;
  progress?: number;
  progressMessage?: string;
  startedAt?: number;
  completedAt?: number;
  runAt?: number;
  nextAttemptAt?: number;
  timeoutMs?: number;
  idempotencyKey?: string;
  cancelRequested?: true;
  lease?: Lease;
}

type Record = [JsonValue[], JsonObject, number, number, number, number, number | null, number, Rare?];

/** What the ready queue knows of a record: where it waits. */
export interface QueuedPlace {
  category: string;
  name: string;
  priority: TaskPriority;
  readySeq: number;
}

/** The text of a ready PENDING task's record; see the module comment. */
export function packQueued(task: Task): string {
  const record: Record = [
    task.args,
    task.kwargs,
    task.maxRetries,
    task.retryCount,
    task.attempt,
    task.createdAt,
    task.readyAt === undefined ? null : task.readyAt - task.createdAt,
    task.seq,
  ];
  if (hasRare(task)) record.push(rareOf(task));
  return JSON.stringify(record);
}

// The test is spelled out, not a loop over `rareOf(task)`: this runs for every enqueued task.
function hasRare(t: Task): boolean {
  return (
    t.result !== undefined || t.error !== undefined || t.retryPolicy !== undefined || t.progress !== 0 ||
    t.progressMessage !== "" || t.startedAt !== undefined || t.completedAt !== undefined || t.runAt !== undefined ||
    t.nextAttemptAt !== undefined || t.timeoutMs !== undefined || t.idempotencyKey !== undefined ||
    t.cancelRequested || t.lease !== undefined
  );
}

function rareOf(task: Task): Rare {
  return {
    result: task.result,
    error: task.error,
    retryPolicy: task.retryPolicy,
    progress: task.progress === 0 ? undefined : task.progress,
    progressMessage: task.progressMessage === "" ? undefined : task.progressMessage,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    runAt: task.runAt,
    nextAttemptAt: task.nextAttemptAt,
    timeoutMs: task.timeoutMs,
    idempotencyKey: task.idempotencyKey,
    cancelRequested: task.cancelRequested ? true : undefined,
    lease: task.lease,
  };
}

/** The task a record holds, as it was packed. */
export function unpackQueued(id: string, text: string, place: QueuedPlace): Task {
  const [args, kwargs, maxRetries, retryCount, attempt, createdAt, readyDelta, seq, rare = {}] = JSON.parse(text) as Record;
  return {
    id,
    name: place.name,
    category: place.category,
    priority: place.priority,
    status: "pending",
    args,
    kwargs,
    result: rare.result,
    error: rare.error,
    maxRetries,
    retryCount,
    attempt,
    retryPolicy: rare.retryPolicy,
    progress: rare.progress ?? 0,
    progressMessage: rare.progressMessage ?? "",
    createdAt,
    startedAt: rare.startedAt,
    completedAt: rare.completedAt,
    runAt: rare.runAt,
    nextAttemptAt: rare.nextAttemptAt,
    timeoutMs: rare.timeoutMs,
    idempotencyKey: rare.idempotencyKey,
    cancelRequested: rare.cancelRequested === true,
    lease: rare.lease,
    seq,
    readySeq: place.readySeq,
    readyAt: readyDelta === null ? undefined : createdAt + readyDelta,
  };
}

/** When the task of a record became ready, without building the task. */
export function readyAtOf(text: string): number | undefined {
  const record = JSON.parse(text) as Record;
  return record[6] === null ? undefined : record[5] + record[6];
}
