/** proto ⇄ SDK values, in one place: users never see proto numbers, bigints or Timestamps. */
import { fromJson, toJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { durationMs, ListValueSchema, timestampDate, ValueSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { type Task as PbTask, TaskPriority as PbPriority, TaskStatus as PbStatus } from "./gen/gobq/v1/task_pb.js";
import type { CategorySettings as PbCategorySettings, GetStatsResponse } from "./gen/gobq/v1/task_service_pb.js";
import { PRIORITIES, PRIORITY_NAMES, STATUSES, STATUS_NAMES } from "./enums.js";
import { invalidArgument } from "./errors.js";
import type { CategorySettings, EnqueueOptions, JsonObject, JsonValue, QueueStats, Task, TaskPriority, TaskStatus } from "./types.js";
import { ProtoWriter } from "./wire/proto-writer.js";
import { type EnqueueFields, writeEnqueueTaskRequest } from "./wire/task-wire.js";

/** The proto status for a status string. */
export function statusToProto(status: TaskStatus): PbStatus {
  const s = STATUSES[status];
  if (s === undefined) throw invalidArgument("status", `must be one of ${Object.keys(STATUSES).join(", ")}, got ${JSON.stringify(status)}`);
  return s;
}

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

function date(t: Timestamp | undefined): Date | undefined {
  return t === undefined ? undefined : timestampDate(t);
}

/** A proto task as an SDK task. */
export function taskFromProto(t: PbTask): Task {
  return {
    id: t.id,
    name: t.name,
    category: t.category,
    priority: PRIORITY_NAMES.get(t.priority) ?? "normal",
    status: STATUS_NAMES.get(t.status) ?? "pending",
    args: t.args ? (toJson(ListValueSchema, t.args) as JsonValue[]) : [],
    kwargs: (t.kwargs ?? {}) as JsonObject,
    result: t.result ? (toJson(ValueSchema, t.result) as JsonValue) : undefined,
    error: t.error ? { message: t.error.message, type: t.error.type } : undefined,
    maxRetries: t.maxRetries,
    retryCount: t.retryCount,
    attempt: t.attempt,
    retryPolicy: t.retryPolicy && {
      initialMs: t.retryPolicy.initialInterval ? durationMs(t.retryPolicy.initialInterval) : 1000,
      maxMs: t.retryPolicy.maximumInterval ? durationMs(t.retryPolicy.maximumInterval) : 60_000,
      multiplier: t.retryPolicy.backoffCoefficient,
      jitter: t.retryPolicy.jitter,
    },
    progress: t.progress,
    progressMessage: t.progressMessage,
    createdAt: date(t.createdAt) ?? new Date(0),
    startedAt: date(t.startedAt),
    completedAt: date(t.completedAt),
    runAt: date(t.runAt),
    nextAttemptAt: date(t.nextAttemptAt),
    elapsedSeconds: t.elapsedSeconds,
    idempotencyKey: t.idempotencyKey === "" ? undefined : t.idempotencyKey,
    timeoutMs: t.timeout ? durationMs(t.timeout) : undefined,
    cancelRequested: t.cancelRequested,
    lease: t.lease ? { workerId: t.lease.workerId, expiresAt: date(t.lease.expiresAt) ?? new Date(0) } : undefined,
    seq: Number(t.seq),
  };
}

/**
 * An enqueue checked on the client, so that a bad task in an auto-batch fails only its own
 * caller. The server checks again.
 */
export function checkEnqueue(name: string, o: EnqueueOptions, now = Date.now()): EnqueueFields {
  if (!NAME.test(name)) throw invalidArgument("name", `must match [A-Za-z0-9_.:-]{1,128}, got ${JSON.stringify(name)}`);
  if (o.category !== undefined && !NAME.test(o.category)) {
    throw invalidArgument("category", `must match [A-Za-z0-9_.:-]{1,128}, got ${JSON.stringify(o.category)}`);
  }
  const priority = o.priority === undefined ? PbPriority.UNSPECIFIED : PRIORITIES[o.priority];
  if (priority === undefined) throw invalidArgument("priority", `must be low, normal, high or critical, got ${JSON.stringify(o.priority)}`);
  const maxRetries = o.maxRetries ?? 0;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 100) {
    throw invalidArgument("max_retries", `must be an integer from 0 to 100, got ${maxRetries}`);
  }
  if (o.delayMs !== undefined && !(o.delayMs >= 0)) throw invalidArgument("run_at", "delayMs must not be negative");
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw invalidArgument("timeout", "timeoutMs must be positive");
  if (o.args !== undefined && !Array.isArray(o.args)) throw invalidArgument("args", "must be a JSON list");
  const runAt = o.runAt ?? (o.delayMs !== undefined ? new Date(now + o.delayMs) : undefined);
  const r = o.retry;
  return {
    name,
    category: o.category ?? "",
    priority,
    args: o.args,
    kwargs: o.kwargs,
    maxRetries,
    runAtMs: runAt?.getTime(),
    timeoutMs: o.timeoutMs,
    idempotencyKey: o.idempotencyKey ?? "",
    retry: r && { initialMs: r.initialMs, maxMs: r.maxMs, multiplier: r.multiplier ?? 0, jitter: r.jitter ?? 0 },
  };
}

const enqueueWriter = new ProtoWriter(4096);

/** An enqueue, checked, as the bytes of an EnqueueTaskRequest. */
export function encodeEnqueue(name: string, o: EnqueueOptions, now = Date.now()): Uint8Array {
  const fields = checkEnqueue(name, o, now);
  enqueueWriter.pos = 0;
  try {
    writeEnqueueTaskRequest(enqueueWriter, fields);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    // "kwargs.to: a undefined is not a JSON value" names its field first.
    throw invalidArgument(/^(args|kwargs)/.exec(err.message)?.[1] ?? "args", `must hold JSON only (${err.message})`);
  }
  return enqueueWriter.finish();
}

/** A proto JSON value from an SDK one (results). */
export function valueToProto(v: JsonValue | undefined) {
  return v === undefined ? undefined : fromJson(ValueSchema, v as PbJson);
}

/** GetStats as plain numbers. */
export function statsFromProto(s: GetStatsResponse): QueueStats {
  const nums = <K extends string>(m: Record<string, bigint>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)])) as Record<K, number>;
  return {
    total: Number(s.total),
    byStatus: nums<TaskStatus>(s.byStatus),
    byCategory: nums(s.byCategory),
    running: Number(s.running),
    queued: Number(s.queued),
    categories: s.categories.map((c) => ({
      category: c.category,
      queuedByPriority: { ...{ low: 0, normal: 0, high: 0, critical: 0 }, ...nums<TaskPriority>(c.queuedByPriority) },
      running: Number(c.running),
      scheduled: Number(c.scheduled),
      oldestQueuedAgeMs: c.oldestQueuedAge ? durationMs(c.oldestQueuedAge) : 0,
      workersSeen: Number(c.workersSeen),
      paused: c.paused,
      maxRunning: c.maxRunning,
      maxStartsPerSecond: c.maxStartsPerSecond,
    })),
  };
}

/** A category's settings from the proto message (absent: the default). */
export function settingsFromProto(category: string, s: PbCategorySettings | undefined): CategorySettings {
  return {
    category: s?.category ?? category,
    paused: s?.paused ?? false,
    maxRunning: s?.maxRunning ?? 0,
    maxStartsPerSecond: s?.maxStartsPerSecond ?? 0,
  };
}
