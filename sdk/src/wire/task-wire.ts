/**
 * The SDK's hot messages on the wire, read and written without protobuf-es messages:
 * tasks in EnqueueTask(s) and LeaseTasks answers, enqueue and complete requests, ack
 * results. Field numbers are those of proto/gobq/v1; the tests check every reader and
 * writer against protobuf-es on random messages.
 */
import { WireType } from "@bufbuild/protobuf/wire";
import { PRIORITY_NAMES, STATUS_NAMES } from "../enums.js";
import { readListValue, readStruct, readValue, writeListValueField, writeStructField, writeValueField } from "./json-wire.js";
import { ProtoReader } from "./proto-reader.js";
import type { ProtoWriter } from "./proto-writer.js";
import type { JsonObject, JsonValue, Task } from "../types.js";

const LD = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const BIT64 = WireType.Bit64;
const tagOf = (field: number, wireType: WireType): number => (field << 3) | wireType;

/** What EnqueueTaskRequest carries, checked (see convert.ts `checkEnqueue`). */
export interface EnqueueFields {
  name: string;
  category: string;
  /** The proto enum number; 0 leaves the server's default. */
  priority: number;
  args: JsonValue[] | undefined;
  kwargs: JsonObject | undefined;
  maxRetries: number;
  runAtMs: number | undefined;
  timeoutMs: number | undefined;
  idempotencyKey: string;
  retry: { initialMs: number | undefined; maxMs: number | undefined; multiplier: number; jitter: number } | undefined;
}

/** Writes an EnqueueTaskRequest body. Throws a TypeError if args or kwargs hold what JSON cannot. */
export function writeEnqueueTaskRequest(w: ProtoWriter, f: EnqueueFields): void {
  w.stringField(1, f.name).stringField(2, f.category).int32Field(3, f.priority);
  if (f.args !== undefined) writeListValueField(w, 4, f.args, "args");
  if (f.kwargs !== undefined) writeStructField(w, 5, f.kwargs, "kwargs");
  w.int32Field(6, f.maxRetries);
  if (f.runAtMs !== undefined) writeTimestampField(w, 7, f.runAtMs);
  if (f.timeoutMs !== undefined) writeDurationField(w, 8, f.timeoutMs);
  w.stringField(9, f.idempotencyKey);
  if (f.retry !== undefined) {
    w.tag(10, LD);
    const at = w.fork();
    if (f.retry.initialMs !== undefined) writeDurationField(w, 1, f.retry.initialMs);
    if (f.retry.maxMs !== undefined) writeDurationField(w, 2, f.retry.maxMs);
    w.doubleField(3, f.retry.multiplier).doubleField(4, f.retry.jitter);
    w.join(at);
  }
}

/** Writes a CompleteTaskRequest body. Throws a TypeError if the result is not JSON. */
export function writeCompleteTaskRequest(w: ProtoWriter, taskId: string, leaseToken: string, result: unknown): void {
  w.stringField(1, taskId).stringField(2, leaseToken);
  writeValueField(w, 3, result, "result");
}

/** Writes each body as one length-delimited occurrence of `field`: a repeated message field. */
export function writeRepeated(w: ProtoWriter, field: number, bodies: readonly Uint8Array[]): void {
  for (const body of bodies) {
    w.tag(field, LD);
    const at = w.fork();
    w.raw(body);
    w.join(at);
  }
}

/** Each occurrence of the message field 1 of `body`, read by `read`: a `repeated` field 1. */
function readField1<T>(body: Uint8Array, read: (r: ProtoReader, end: number) => T): T[] {
  const r = new ProtoReader(body);
  const out: T[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === tagOf(1, LD)) out.push(read(r, r.delimited()));
    else r.skip(tag & 7);
  }
  return out;
}

/** Calls `field` with the tag of each field of the message body ending at `end`; it reads or skips the field. */
function eachField(r: ProtoReader, end: number, field: (tag: number) => void): void {
  const outer = r.end;
  r.end = end;
  while (r.more()) field(r.tag());
  r.end = outer;
}

/** The tasks of an EnqueueTasksResponse body (or any message whose field 1 is `repeated Task`). */
export function readTaskList(body: Uint8Array): Task[] {
  return readField1(body, readTask);
}

/** The task of a response whose field 1 is `Task task` (EnqueueTaskResponse, CompleteTaskResponse, …). */
export function readTaskOf(body: Uint8Array): Task {
  const [task] = readTaskList(body).slice(-1);
  if (task === undefined) throw new TypeError("the response holds no task");
  return task;
}

/** One leased task of a LeaseTasksResponse. */
export interface WireLeasedTask {
  task: Task;
  leaseToken: string;
}

/** The leased tasks of a LeaseTasksResponse body. */
export function readLeasedTasks(body: Uint8Array): WireLeasedTask[] {
  return readField1(body, (r, end) => {
    let task: Task | undefined;
    let leaseToken = "";
    eachField(r, end, (tag) => {
      if (tag === tagOf(1, LD)) task = readTask(r, r.delimited());
      else if (tag === tagOf(2, LD)) leaseToken = r.string();
      else r.skip(tag & 7);
    });
    if (task === undefined) throw new TypeError("a leased task without its task");
    return { task, leaseToken };
  });
}

/** One AckResult: `errorReason` is empty when the ack was accepted. */
export interface WireAckResult {
  taskId: string;
  errorReason: string;
  errorMessage: string;
}

/** The results of a CompleteTasksResponse or FailTasksResponse body. */
export function readAckResults(body: Uint8Array): WireAckResult[] {
  return readField1(body, (r, end) => {
    const result: WireAckResult = { taskId: "", errorReason: "", errorMessage: "" };
    eachField(r, end, (tag) => {
      if (tag === tagOf(1, LD)) result.taskId = r.string();
      else if (tag === tagOf(3, LD)) result.errorReason = r.string();
      else if (tag === tagOf(4, LD)) result.errorMessage = r.string();
      else r.skip(tag & 7);
    });
    return result;
  });
}

/** Reads a gobq.v1.Task body ending at `end` into the SDK's Task, as `taskFromProto` maps a message. */
export function readTask(r: ProtoReader, end: number): Task {
  const outer = r.end;
  r.end = end;
  const t: Task = {
    id: "",
    name: "",
    category: "",
    priority: "normal",
    status: "pending",
    args: [],
    kwargs: {},
    result: undefined,
    error: undefined,
    maxRetries: 0,
    retryCount: 0,
    attempt: 0,
    retryPolicy: undefined,
    progress: 0,
    progressMessage: "",
    createdAt: new Date(0),
    startedAt: undefined,
    completedAt: undefined,
    runAt: undefined,
    nextAttemptAt: undefined,
    elapsedSeconds: 0,
    idempotencyKey: undefined,
    timeoutMs: undefined,
    cancelRequested: false,
    lease: undefined,
    seq: 0,
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case tagOf(1, LD): t.id = r.string(); break;
      case tagOf(2, LD): t.name = r.string(); break;
      case tagOf(3, LD): t.category = r.string(); break;
      case tagOf(4, VARINT): t.priority = PRIORITY_NAMES.get(r.int32()) ?? "normal"; break;
      case tagOf(5, VARINT): t.status = STATUS_NAMES.get(r.int32()) ?? "pending"; break;
      case tagOf(6, LD): t.args = readListValue(r, r.delimited()); break;
      case tagOf(7, LD): t.kwargs = readStruct(r, r.delimited()); break;
      case tagOf(8, LD): t.result = readValue(r, r.delimited()); break;
      case tagOf(9, LD): t.error = readTaskError(r, r.delimited()); break;
      case tagOf(10, VARINT): t.maxRetries = r.int32(); break;
      case tagOf(11, VARINT): t.retryCount = r.int32(); break;
      case tagOf(12, VARINT): t.attempt = r.int32(); break;
      case tagOf(13, LD): t.retryPolicy = readRetryPolicy(r, r.delimited()); break;
      case tagOf(14, BIT64): t.progress = r.double(); break;
      case tagOf(15, LD): t.progressMessage = r.string(); break;
      case tagOf(16, LD): t.createdAt = new Date(readSecondsNanos(r, r.delimited())); break;
      case tagOf(17, LD): t.startedAt = new Date(readSecondsNanos(r, r.delimited())); break;
      case tagOf(18, LD): t.completedAt = new Date(readSecondsNanos(r, r.delimited())); break;
      case tagOf(19, LD): t.runAt = new Date(readSecondsNanos(r, r.delimited())); break;
      case tagOf(20, LD): t.nextAttemptAt = new Date(readSecondsNanos(r, r.delimited())); break;
      case tagOf(21, BIT64): t.elapsedSeconds = r.double(); break;
      case tagOf(22, LD): t.idempotencyKey = r.string() || undefined; break;
      case tagOf(23, LD): t.timeoutMs = readSecondsNanos(r, r.delimited()); break;
      case tagOf(24, VARINT): t.cancelRequested = r.bool(); break;
      case tagOf(25, LD): t.lease = readLease(r, r.delimited()); break;
      case tagOf(26, VARINT): t.seq = r.int64(); break;
      default: r.skip(tag & 7);
    }
  }
  r.end = outer;
  return t;
}

function readTaskError(r: ProtoReader, end: number): { message: string; type: string } {
  const error = { message: "", type: "" };
  eachField(r, end, (tag) => {
    if (tag === tagOf(1, LD)) error.message = r.string();
    else if (tag === tagOf(2, LD)) error.type = r.string();
    else r.skip(tag & 7);
  });
  return error;
}

function readRetryPolicy(r: ProtoReader, end: number): NonNullable<Task["retryPolicy"]> {
  // An interval left out is the server's default, as `taskFromProto` reads it.
  const policy = { initialMs: 1000, maxMs: 60_000, multiplier: 0, jitter: 0 };
  eachField(r, end, (tag) => {
    if (tag === tagOf(1, LD)) policy.initialMs = readSecondsNanos(r, r.delimited());
    else if (tag === tagOf(2, LD)) policy.maxMs = readSecondsNanos(r, r.delimited());
    else if (tag === tagOf(3, BIT64)) policy.multiplier = r.double();
    else if (tag === tagOf(4, BIT64)) policy.jitter = r.double();
    else r.skip(tag & 7);
  });
  return policy;
}

function readLease(r: ProtoReader, end: number): NonNullable<Task["lease"]> {
  const lease = { workerId: "", expiresAt: new Date(0) };
  eachField(r, end, (tag) => {
    if (tag === tagOf(1, LD)) lease.workerId = r.string();
    else if (tag === tagOf(2, LD)) lease.expiresAt = new Date(readSecondsNanos(r, r.delimited()));
    else r.skip(tag & 7);
  });
  return lease;
}

/** A Timestamp or Duration body as ms, rounded as protobuf-es's `timestampMs` and `durationMs` do. */
function readSecondsNanos(r: ProtoReader, end: number): number {
  let seconds = 0;
  let nanos = 0;
  eachField(r, end, (tag) => {
    if (tag === tagOf(1, VARINT)) seconds = r.int64();
    else if (tag === tagOf(2, VARINT)) nanos = r.int32();
    else r.skip(tag & 7);
  });
  return seconds * 1000 + Math.round(nanos / 1_000_000);
}

/** Writes a Timestamp field from epoch ms, as protobuf-es's `timestampFromMs` does. */
export function writeTimestampField(w: ProtoWriter, field: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  w.tag(field, LD);
  const at = w.fork();
  w.int64Field(1, seconds).int32Field(2, (ms - seconds * 1000) * 1_000_000);
  w.join(at);
}

/** Writes a Duration field from ms, as protobuf-es's `durationFromMs` does. */
export function writeDurationField(w: ProtoWriter, field: number, ms: number): void {
  const sign = ms < 0 ? -1 : 1;
  const abs = Math.abs(ms);
  const seconds = Math.floor(abs / 1000);
  w.tag(field, LD);
  const at = w.fork();
  w.int64Field(1, seconds * sign).int32Field(2, (abs - seconds * 1000) * 1_000_000 * sign);
  w.join(at);
}
