/**
 * Tasks in responses, written straight to protobuf bytes when the caller speaks binary.
 *
 * `taskToProto` and protobuf-es's `toBinary` cost about 30 µs per task (reflection, a
 * Struct/Value message tree per payload, a Timestamp message per time); writing the bytes
 * from the domain task costs about 3, measured on 1,000 tasks. The bytes travel as the response message's unknown fields, which
 * protobuf-es writes out verbatim: on the wire the response is exactly the one
 * `taskToProto` would give (the tests compare the bytes). A caller speaking JSON gets
 * proto messages as before: unknown fields have no JSON form.
 */
import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { WireType } from "@bufbuild/protobuf/wire";
import type { HandlerContext } from "@connectrpc/connect";
import { LeaseTasksResponseSchema, type LeaseTasksResponse } from "@gobq/sdk/gen/worker_service_pb.js";
import { writeListValueField, writeStructField, writeValueField } from "@gobq/sdk/wire/json-wire.js";
import { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";
import { writeDurationField, writeTimestampField } from "@gobq/sdk/wire/task-wire.js";
import { elapsedSeconds, type Task } from "../task/task.js";
import { PRIORITY_TO_PB, STATUS_TO_PB, taskToProto } from "./convert.js";
import type { LeasedTask } from "../scheduler/inputs.js";
import { UnaryCall } from "./unary-call.js";
import type { UnknownField } from "./raw-route.js";

/**
 * Whether the caller's request, and so the response, is protobuf binary (gRPC, gRPC-web,
 * Connect with application/proto) rather than JSON.
 */
export function speaksBinary(ctx: HandlerContext): boolean {
  // The fast path serves only POSTs of application/proto; asking its call for web Headers
  // would build them (tens of µs per call in W2's profile) just to read that again.
  if (ctx instanceof UnaryCall) return true;
  const type = ctx.requestHeader.get("content-type");
  return ctx.requestMethod === "POST" && type !== null && !type.includes("json");
}

/** A response of `schema` whose field 1 is `Task task`, holding `task`. */
export function taskResponse<S extends DescMessage>(
  ctx: HandlerContext,
  schema: S,
  task: Task,
  now: number,
  init?: MessageInitShape<S>,
): MessageShape<S> {
  const message = create(schema, init);
  if (speaksBinary(ctx)) message.$unknown = repeatedField1([task], (w, t) => writeTask(w, t, now));
  else (message as { task?: unknown }).task = taskToProto(task, now);
  return message;
}

/** A response of `schema` whose field 1 is `repeated Task tasks`, holding `tasks`. */
export function tasksResponse<S extends DescMessage>(ctx: HandlerContext, schema: S, tasks: readonly Task[], now: number): MessageShape<S> {
  const message = create(schema);
  if (speaksBinary(ctx)) message.$unknown = repeatedField1(tasks, (w, t) => writeTask(w, t, now));
  else (message as { tasks?: unknown }).tasks = tasks.map((t) => taskToProto(t, now));
  return message;
}

/** A LeaseTasksResponse holding `leased`. */
export function leaseResponse(ctx: HandlerContext, leased: readonly LeasedTask[], now: number): LeaseTasksResponse {
  if (!speaksBinary(ctx)) {
    return create(LeaseTasksResponseSchema, {
      tasks: leased.map((l) => ({ task: taskToProto(l.task, now), leaseToken: l.leaseToken, leaseExpiresAt: timestampFromMs(l.leaseExpiresAt) })),
    });
  }
  const message = create(LeaseTasksResponseSchema);
  message.$unknown = repeatedField1(leased, (w, l) => writeLeasedTask(w, l, now));
  return message;
}

/**
 * Each item as one occurrence of field 1, its body written by `write`: a response's
 * `repeated` message field 1, as unknown fields. `bytesPerItem` sizes the first buffer.
 */
export function repeatedField1<T>(items: readonly T[], write: (w: ProtoWriter, item: T) => void, bytesPerItem = 160): UnknownField[] {
  const w = new ProtoWriter(items.length * bytesPerItem + 64);
  const bounds: number[] = [];
  for (const item of items) {
    const start = w.pos;
    const at = w.fork();
    write(w, item);
    w.join(at);
    bounds.push(start, w.pos);
  }
  const bytes = w.finish();
  const fields: UnknownField[] = [];
  for (let i = 0; i < bounds.length; i += 2) {
    fields.push({ no: 1, wireType: WireType.LengthDelimited, data: bytes.subarray(bounds[i], bounds[i + 1]) });
  }
  return fields;
}

function writeLeasedTask(w: ProtoWriter, l: LeasedTask, now: number): void {
  w.tag(1, WireType.LengthDelimited);
  const at = w.fork();
  writeTask(w, l.task, now);
  w.join(at);
  w.stringField(2, l.leaseToken);
  writeTimestampField(w, 3, l.leaseExpiresAt);
}

/** Writes a gobq.v1.Task body, field for field as `taskToProto` fills the message. */
export function writeTask(w: ProtoWriter, t: Task, now: number): void {
  w.stringField(1, t.id).stringField(2, t.name).stringField(3, t.category);
  w.int32Field(4, PRIORITY_TO_PB[t.priority]).int32Field(5, STATUS_TO_PB[t.status]);
  writeListValueField(w, 6, t.args, "args");
  writeStructField(w, 7, t.kwargs, "kwargs");
  writeValueField(w, 8, t.result, "result");
  if (t.error) {
    w.tag(9, WireType.LengthDelimited);
    const at = w.fork();
    w.stringField(1, t.error.message).stringField(2, t.error.type);
    w.join(at);
  }
  w.int32Field(10, t.maxRetries).int32Field(11, t.retryCount).int32Field(12, t.attempt);
  if (t.retryPolicy) {
    w.tag(13, WireType.LengthDelimited);
    const at = w.fork();
    writeDurationField(w, 1, t.retryPolicy.initialMs);
    writeDurationField(w, 2, t.retryPolicy.maxMs);
    w.doubleField(3, t.retryPolicy.multiplier).doubleField(4, t.retryPolicy.jitter);
    w.join(at);
  }
  w.doubleField(14, t.progress).stringField(15, t.progressMessage);
  writeTimestampField(w, 16, t.createdAt);
  if (t.startedAt !== undefined) writeTimestampField(w, 17, t.startedAt);
  if (t.completedAt !== undefined) writeTimestampField(w, 18, t.completedAt);
  if (t.runAt !== undefined) writeTimestampField(w, 19, t.runAt);
  if (t.nextAttemptAt !== undefined) writeTimestampField(w, 20, t.nextAttemptAt);
  w.doubleField(21, elapsedSeconds(t, now)).stringField(22, t.idempotencyKey ?? "");
  if (t.timeoutMs !== undefined) writeDurationField(w, 23, t.timeoutMs);
  w.boolField(24, t.cancelRequested);
  if (t.lease) {
    w.tag(25, WireType.LengthDelimited);
    const at = w.fork();
    w.stringField(1, t.lease.workerId);
    writeTimestampField(w, 2, t.lease.expiresAt);
    w.join(at);
  }
  w.int64Field(26, t.seq);
}
