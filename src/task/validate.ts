/**
 * Validation of what callers send. Every rule names the field as the API spells it and
 * throws InvalidArgumentError before anything changes.
 *
 * Hand-written rather than schema-driven: this runs for every task of every batch on the
 * enqueue hot path, and each check is one comparison.
 */
import { InvalidArgumentError } from "./errors.js";
import {
  DEFAULT_RETRY_POLICY,
  type JsonObject,
  type JsonValue,
  type RetryPolicy,
  type TaskError,
  type TaskPriority,
} from "./task.js";

/** Names and categories: what the original allowed in practice, safe in URLs, logs and metrics. */
const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Limits the server enforces; each has a default a deployment may change. */
export interface Limits {
  /** Bytes of args + kwargs as JSON. Default 1 MiB. */
  maxPayloadBytes: number;
  /** Bytes of a result or an error message as JSON. Default 1 MiB. */
  maxResultBytes: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Limits = { maxPayloadBytes: 1 << 20, maxResultBytes: 1 << 20 };

/** Bounds of request fields, in one place so that docs, proto comments and checks agree. */
export const BOUNDS = {
  maxRetries: 100,
  idempotencyKeyChars: 256,
  progressMessageChars: 1024,
  errorTypeChars: 256,
  workerIdChars: 128,
  maxTasksPerLease: 1000,
  maxHeldTasks: 10_000,
  maxBatch: 10_000,
  maxAckBatch: 1000,
  leaseMinMs: 1000,
  leaseMaxMs: 3_600_000,
  waitMaxMs: 50_000,
  pageSizeMax: 1000,
  timeoutMaxMs: 7 * 24 * 3_600_000,
} as const;

/** What a producer asks for; optional fields are undefined when not given. */
export interface EnqueueInput {
  name: string;
  category: string | undefined;
  priority: TaskPriority | undefined;
  args: JsonValue[] | undefined;
  kwargs: JsonObject | undefined;
  maxRetries: number | undefined;
  runAt: number | undefined;
  timeoutMs: number | undefined;
  idempotencyKey: string | undefined;
  retryPolicy: Partial<RetryPolicy> | undefined;
}

/** An enqueue request after validation and defaults. */
export interface EnqueueSpec {
  name: string;
  category: string;
  priority: TaskPriority;
  args: JsonValue[];
  kwargs: JsonObject;
  maxRetries: number;
  runAt: number | undefined;
  timeoutMs: number | undefined;
  idempotencyKey: string | undefined;
  retryPolicy: RetryPolicy | undefined;
}

/** Checks a name or category against `[A-Za-z0-9_.:-]{1,128}`. */
export function checkName(field: string, value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError(field, `must match [A-Za-z0-9_.:-]{1,128}, got ${quote(value)}`);
  }
  return value;
}

/** Checks an integer within [min, max]. */
export function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Checks a finite number within [min, max]. */
export function checkRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Checks a string's length in characters. */
export function checkLength(field: string, value: string, max: number): string {
  if (value.length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters, got ${value.length}`);
  return value;
}

/** Checks a task id: present and of UUID shape (anything else cannot exist). */
export function checkId(field: string, value: string): string {
  if (value === "") throw new InvalidArgumentError(field, "is required");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new InvalidArgumentError(field, `must be a task id (a UUID), got ${quote(value)}`);
  }
  return value.toLowerCase();
}

/** Size in bytes of a value as stored JSON. */
export function jsonBytes(value: JsonValue | undefined): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

/** How deep args, kwargs and results may nest: deeper is a mistake or an attack, never a task. */
export const MAX_JSON_DEPTH = 32;

/**
 * Checks a JSON value that came in as protobuf: every number finite (JSON has no NaN or
 * Infinity, and storing one would break every later JSON read) and nesting bounded.
 */
export function checkJson(field: string, value: JsonValue | undefined, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new InvalidArgumentError(field, `nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(field, "contains NaN or Infinity, which JSON cannot hold");
  } else if (Array.isArray(value)) {
    for (const v of value) checkJson(field, v, depth + 1);
  } else if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) checkJson(field, v, depth + 1);
  }
}

/** Validates one enqueue request and applies defaults; `field` prefixes field names in batches. */
export function validateEnqueue(input: EnqueueInput, limits: Limits, prefix = ""): EnqueueSpec {
  const f = (name: string) => prefix + name;
  if (input.name === "") throw new InvalidArgumentError(f("name"), "is required");
  checkName(f("name"), input.name);
  const category = input.category === undefined || input.category === "" ? "default" : input.category;
  checkName(f("category"), category);
  const maxRetries = checkInt(f("max_retries"), input.maxRetries ?? 0, 0, BOUNDS.maxRetries);
  const args = input.args ?? [];
  const kwargs = input.kwargs ?? {};
  checkJson(f("args"), args);
  checkJson(f("kwargs"), kwargs);
  const payload = jsonBytes(args) + jsonBytes(kwargs);
  if (payload > limits.maxPayloadBytes) {
    throw new InvalidArgumentError(f("args"), `args and kwargs are ${payload} bytes as JSON; the limit is ${limits.maxPayloadBytes}`);
  }
  if (input.runAt !== undefined && !Number.isFinite(input.runAt)) {
    throw new InvalidArgumentError(f("run_at"), "must be a valid time");
  }
  if (input.timeoutMs !== undefined) checkInt(f("timeout"), input.timeoutMs, 1, BOUNDS.timeoutMaxMs);
  const key = input.idempotencyKey === "" ? undefined : input.idempotencyKey;
  if (key !== undefined) checkLength(f("idempotency_key"), key, BOUNDS.idempotencyKeyChars);
  return {
    name: input.name,
    category,
    priority: input.priority ?? "normal",
    args,
    kwargs,
    maxRetries,
    runAt: input.runAt,
    timeoutMs: input.timeoutMs,
    idempotencyKey: key,
    retryPolicy: input.retryPolicy === undefined ? undefined : validateRetryPolicy(input.retryPolicy, f("retry_policy")),
  };
}

/** Validates a partial retry policy and fills unset fields from the default. */
export function validateRetryPolicy(policy: Partial<RetryPolicy>, field: string): RetryPolicy {
  const initialMs = checkInt(`${field}.initial_interval`, policy.initialMs ?? DEFAULT_RETRY_POLICY.initialMs, 0, BOUNDS.timeoutMaxMs);
  const maxMs = checkInt(`${field}.maximum_interval`, policy.maxMs ?? DEFAULT_RETRY_POLICY.maxMs, 0, BOUNDS.timeoutMaxMs);
  if (maxMs < initialMs) throw new InvalidArgumentError(`${field}.maximum_interval`, "must not be less than initial_interval");
  const multiplier = checkRange(`${field}.backoff_coefficient`, policy.multiplier ?? DEFAULT_RETRY_POLICY.multiplier, 1, 100);
  const jitter = checkRange(`${field}.jitter`, policy.jitter ?? DEFAULT_RETRY_POLICY.jitter, 0, 1);
  return { initialMs, maxMs, multiplier, jitter };
}

/** Validates the error a worker reports. */
export function validateTaskError(error: TaskError | undefined, limits: Limits, field: string): TaskError {
  const message = error?.message ?? "";
  const type = error?.type ?? "";
  if (Buffer.byteLength(message) > limits.maxResultBytes) {
    throw new InvalidArgumentError(`${field}.message`, `must be at most ${limits.maxResultBytes} bytes`);
  }
  checkLength(`${field}.type`, type, BOUNDS.errorTypeChars);
  return { message, type };
}

/** Validates the result a worker reports. */
export function validateResult(result: JsonValue | undefined, limits: Limits, field: string): JsonValue | undefined {
  checkJson(field, result);
  const bytes = jsonBytes(result);
  if (bytes > limits.maxResultBytes) {
    throw new InvalidArgumentError(field, `is ${bytes} bytes as JSON; the limit is ${limits.maxResultBytes}`);
  }
  return result;
}

function quote(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}
