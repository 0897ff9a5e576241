/** proto ⇄ SDK values, in one place: users never see proto numbers, bigints or Timestamps. */
import { create, fromJson, toJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import {
  durationFromMs,
  durationMs,
  ListValueSchema,
  timestampDate,
  timestampFromMs,
  ValueSchema,
  type Timestamp,
} from "@bufbuild/protobuf/wkt";
import { type Task as PbTask, TaskPriority as PbPriority, TaskStatus as PbStatus } from "./gen/gobq/v1/task_pb.js";
import { type EnqueueTaskRequest, EnqueueTaskRequestSchema, type GetStatsResponse } from "./gen/gobq/v1/task_service_pb.js";
import { invalidArgument } from "./errors.js";
import type { EnqueueOptions, JsonObject, JsonValue, QueueStats, Task, TaskPriority, TaskStatus } from "./types.js";

const PRIORITIES: Record<TaskPriority, PbPriority> = {
  low: PbPriority.LOW,
  normal: PbPriority.NORMAL,
  high: PbPriority.HIGH,
  critical: PbPriority.CRITICAL,
};
const STATUSES: Record<TaskStatus, PbStatus> = {
  pending: PbStatus.PENDING,
  started: PbStatus.STARTED,
  success: PbStatus.SUCCESS,
  failed: PbStatus.FAILED,
  cancelled: PbStatus.CANCELLED,
  retry: PbStatus.RETRY,
};
const PRIORITY_NAMES = new Map(Object.entries(PRIORITIES).map(([k, v]) => [v, k as TaskPriority]));
const STATUS_NAMES = new Map(Object.entries(STATUSES).map(([k, v]) => [v, k as TaskStatus]));

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
 * An enqueue as a proto request, checked first on the client so that a bad task in an
 * auto-batch fails only its own caller. The server checks again.
 */
export function enqueueToProto(name: string, o: EnqueueOptions, now = Date.now()): EnqueueTaskRequest {
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
  let args;
  try {
    args = o.args === undefined ? undefined : fromJson(ListValueSchema, o.args as PbJson[]);
  } catch (err) {
    throw invalidArgument("args", `must be a JSON list (${(err as Error).message})`);
  }
  const runAt = o.runAt ?? (o.delayMs !== undefined ? new Date(now + o.delayMs) : undefined);
  const r = o.retry;
  return create(EnqueueTaskRequestSchema, {
    name,
    category: o.category ?? "",
    priority,
    args,
    kwargs: o.kwargs,
    maxRetries,
    runAt: runAt === undefined ? undefined : timestampFromMs(runAt.getTime()),
    timeout: o.timeoutMs === undefined ? undefined : durationFromMs(o.timeoutMs),
    idempotencyKey: o.idempotencyKey ?? "",
    retryPolicy: r && {
      initialInterval: r.initialMs === undefined ? undefined : durationFromMs(r.initialMs),
      maximumInterval: r.maxMs === undefined ? undefined : durationFromMs(r.maxMs),
      backoffCoefficient: r.multiplier ?? 0,
      jitter: r.jitter ?? 0,
    },
  });
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
    })),
  };
}
