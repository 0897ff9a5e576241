/**
 * proto ⇄ domain, in one place. Everything inward of src/server sees plain domain values
 * (epoch ms, JSON, status strings); everything outward sees gobq.v1 messages.
 */
import { create, fromJson, toJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import {
  durationFromMs,
  durationMs,
  ListValueSchema,
  timestampFromMs,
  timestampMs,
  ValueSchema,
  type Duration,
  type ListValue,
  type Timestamp,
  type Value,
} from "@bufbuild/protobuf/wkt";
import type { EnqueueTaskRequest } from "@gobq/sdk/gen/task_service_pb.js";
import {
  type RetryPolicy as PbRetryPolicy,
  type Task as PbTask,
  type TaskEvent as PbTaskEvent,
  TaskEventSchema,
  TaskPriority as PbPriority,
  TaskSchema,
  TaskStatus as PbStatus,
} from "@gobq/sdk/gen/task_pb.js";
import { PRIORITIES, PRIORITY_NAMES, STATUSES, STATUS_NAMES } from "@gobq/sdk/enums.js";
import { InvalidArgumentError } from "../task/errors.js";
import { elapsedSeconds, type JsonValue, type RetryPolicy, type Task, type TaskPriority, type TaskStatus } from "../task/task.js";
import type { EnqueueInput } from "../task/validate.js";

// One table each, shared with the SDK: its priority and status strings are the server's.
const PRIORITY_TO_PB: Readonly<Record<TaskPriority, PbPriority>> = PRIORITIES;
const STATUS_TO_PB: Readonly<Record<TaskStatus, PbStatus>> = STATUSES;

/** A proto priority as a domain one; UNSPECIFIED is undefined (the default applies). */
export function priorityFromProto(p: PbPriority, field: string): TaskPriority | undefined {
  if (p === PbPriority.UNSPECIFIED) return undefined;
  const priority = PRIORITY_NAMES.get(p);
  if (priority === undefined) throw new InvalidArgumentError(field, `unknown priority ${p}`);
  return priority;
}

/** A proto status filter as a domain one; UNSPECIFIED is undefined (no filter). */
export function statusFromProto(s: PbStatus, field: string): TaskStatus | undefined {
  if (s === PbStatus.UNSPECIFIED) return undefined;
  const status = STATUS_NAMES.get(s);
  if (status === undefined) throw new InvalidArgumentError(field, `unknown status ${s}`);
  return status;
}

// What the well-known types allow (google/protobuf/timestamp.proto and duration.proto):
// timestamps from year 1 to 9999, durations up to ±10,000 years with nanos of the seconds' sign.
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
const MAX_DURATION_SECONDS = 315_576_000_000n;
const MAX_NANOS = 999_999_999;

/** A proto time as epoch ms; rejects what a Timestamp may not be (nanos out of range, years outside 1–9999). */
export function msFromTimestamp(t: Timestamp | undefined, field: string): number | undefined {
  if (t === undefined) return undefined;
  if (t.nanos < 0 || t.nanos > MAX_NANOS || t.seconds < MIN_TIMESTAMP_SECONDS || t.seconds > MAX_TIMESTAMP_SECONDS) {
    throw new InvalidArgumentError(field, "is not a valid time");
  }
  return Math.round(timestampMs(t)); // times are whole ms inside gobq
}

/**
 * A proto duration as ms; rejects negative durations and what a Duration may not be: nanos
 * out of range or of the other sign than seconds (which would silently shift the value), or
 * more than 10,000 years.
 */
export function msFromDuration(d: Duration | undefined, field: string): number | undefined {
  if (d === undefined) return undefined;
  const { seconds, nanos } = d;
  const mixedSigns = (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0);
  if (Math.abs(nanos) > MAX_NANOS || seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS || mixedSigns) {
    throw new InvalidArgumentError(field, "is not a valid duration");
  }
  const ms = durationMs(d);
  if (ms < 0) throw new InvalidArgumentError(field, "must not be negative");
  return Math.round(ms);
}

/** A proto Value as JSON; undefined stays undefined. A Value with no kind set is a bad field. */
export function jsonFromValue(v: Value | undefined, field: string): JsonValue | undefined {
  if (v === undefined) return undefined;
  try {
    return toJson(ValueSchema, v) as JsonValue;
  } catch (err) {
    throw new InvalidArgumentError(field, `is not a valid JSON value (${err instanceof Error ? err.message : String(err)})`);
  }
}

function jsonFromListValue(v: ListValue, field: string): JsonValue[] {
  try {
    return toJson(ListValueSchema, v) as JsonValue[];
  } catch (err) {
    throw new InvalidArgumentError(field, `is not a valid JSON list (${err instanceof Error ? err.message : String(err)})`);
  }
}

function retryPolicyFromProto(p: PbRetryPolicy | undefined, field: string): Partial<RetryPolicy> | undefined {
  if (p === undefined) return undefined;
  return {
    initialMs: msFromDuration(p.initialInterval, `${field}.initial_interval`),
    maxMs: msFromDuration(p.maximumInterval, `${field}.maximum_interval`),
    multiplier: p.backoffCoefficient === 0 ? undefined : p.backoffCoefficient,
    jitter: p.jitter === 0 ? undefined : p.jitter,
  };
}

/** An EnqueueTaskRequest as domain input; `prefix` names fields inside a batch. */
export function enqueueFromProto(req: EnqueueTaskRequest, prefix = ""): EnqueueInput {
  return {
    name: req.name,
    category: req.category,
    priority: priorityFromProto(req.priority, `${prefix}priority`),
    args: req.args === undefined ? undefined : jsonFromListValue(req.args, `${prefix}args`),
    kwargs: req.kwargs as EnqueueInput["kwargs"],
    maxRetries: req.maxRetries,
    runAt: msFromTimestamp(req.runAt, `${prefix}run_at`),
    timeoutMs: req.timeout === undefined ? undefined : msFromDuration(req.timeout, `${prefix}timeout`),
    idempotencyKey: req.idempotencyKey,
    retryPolicy: retryPolicyFromProto(req.retryPolicy, `${prefix}retry_policy`),
  };
}

function ts(ms: number | undefined): Timestamp | undefined {
  return ms === undefined ? undefined : timestampFromMs(ms);
}

/** A domain task as a proto Task. The lease token is never included. */
export function taskToProto(t: Task, now: number): PbTask {
  return create(TaskSchema, {
    id: t.id,
    name: t.name,
    category: t.category,
    priority: PRIORITY_TO_PB[t.priority],
    status: STATUS_TO_PB[t.status],
    args: fromJson(ListValueSchema, t.args as PbJson) as ListValue,
    kwargs: t.kwargs,
    result: t.result === undefined ? undefined : fromJson(ValueSchema, t.result as PbJson),
    error: t.error,
    maxRetries: t.maxRetries,
    retryCount: t.retryCount,
    attempt: t.attempt,
    retryPolicy: t.retryPolicy && {
      initialInterval: durationFromMs(t.retryPolicy.initialMs),
      maximumInterval: durationFromMs(t.retryPolicy.maxMs),
      backoffCoefficient: t.retryPolicy.multiplier,
      jitter: t.retryPolicy.jitter,
    },
    progress: t.progress,
    progressMessage: t.progressMessage,
    createdAt: ts(t.createdAt),
    startedAt: ts(t.startedAt),
    completedAt: ts(t.completedAt),
    runAt: ts(t.runAt),
    nextAttemptAt: ts(t.nextAttemptAt),
    elapsedSeconds: elapsedSeconds(t, now),
    idempotencyKey: t.idempotencyKey ?? "",
    timeout: t.timeoutMs === undefined ? undefined : durationFromMs(t.timeoutMs),
    cancelRequested: t.cancelRequested,
    lease: t.lease && { workerId: t.lease.workerId, expiresAt: timestampFromMs(t.lease.expiresAt) },
    seq: BigInt(t.seq),
  });
}

/** A domain event as a proto TaskEvent. */
export function eventToProto(e: { seq: number; task: Task }, now: number): PbTaskEvent {
  return create(TaskEventSchema, { seq: BigInt(e.seq), task: taskToProto(e.task, now) });
}

export { PRIORITY_TO_PB, STATUS_TO_PB };
