/**
 * Worker acks in protobuf binary: CompleteTask and CompleteTasks requests read straight from
 * their bytes, and the CompleteTasks and FailTasks answers written straight to bytes — what
 * enqueue-wire.ts and task-wire.ts do for enqueues and tasks. protobuf-es's `fromBinary`
 * builds a Value message tree per result, and its `toBinary` walks an AckResult message per
 * ack by reflection: about 4 µs per ack to read and 3 to write, measured on batches of 32;
 * by hand about 1.5 and 0.7.
 *
 * Only the plain encoding every client writes is read here: task_id, lease_token and result,
 * each at most once, the result a plain JSON value. A request holding anything else — an
 * unknown or repeated field, bytes that are not valid protobuf, a Value protobuf-es reads
 * otherwise — is decoded whole by protobuf-es, so its rules and its errors decide.
 *
 * The answers travel as unknown fields of an empty response, which protobuf-es writes out
 * verbatim: on the wire exactly what it would write for the AckResult messages (the tests
 * compare the bytes). A JSON caller gets the messages: unknown fields have no JSON form.
 */
import { create, type MessageShape } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import type { TaskStatus as PbStatus } from "@gobq/sdk/gen/task_pb.js";
import {
  AckResultSchema,
  type CompleteTaskRequest,
  CompleteTaskRequestSchema,
  type CompleteTaskResponse,
  type CompleteTasksResponse,
  CompleteTasksRequestSchema,
  type CompleteTasksResponseSchema,
  type FailTasksResponseSchema,
  WorkerService,
} from "@gobq/sdk/gen/worker_service_pb.js";
import { readValue } from "@gobq/sdk/wire/json-wire.js";
import type { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";
import type { JsonValue } from "../task/task.js";
import { jsonFromValue } from "./convert.js";
import { bodyOf, parse, type Read, readFieldsOnce, readRepeated, registerRaw, type UnknownField } from "./raw-route.js";
import { repeatedField1, speaksBinary } from "./task-wire.js";

/**
 * A CompleteTaskRequest as domain input. The result is converted when asked: in a batch, a
 * result JSON cannot hold fails its own ack, not the call.
 */
export interface CompleteAck {
  taskId: string;
  leaseToken: string;
  result: Read<JsonValue | undefined>;
}

/** One ack's outcome, as an AckResult holds it: the task's status if accepted, else why not. */
export interface AckOutcome {
  taskId: string;
  /** UNSPECIFIED when refused. */
  status: PbStatus;
  /** Empty when accepted. */
  errorReason: string;
  errorMessage: string;
}

// CompleteTaskRequest's fields as tags: number << 3 | wire type.
const TASK_ID = (1 << 3) | WireType.LengthDelimited;
const LEASE_TOKEN = (2 << 3) | WireType.LengthDelimited;
const RESULT = (3 << 3) | WireType.LengthDelimited;

/**
 * The CompleteTaskRequest body between `start` and `end`, as `completeAckFromProto(fromBinary(…))`
 * gives it; undefined if it is not plain (see the module comment), and then only protobuf-es
 * may read it.
 */
export function readCompleteAck(body: Uint8Array, start = 0, end = body.length): CompleteAck | undefined {
  let taskId = "";
  let leaseToken = "";
  let result: JsonValue | undefined;
  const plain = readFieldsOnce(body, start, end, 3, (t, r) => {
    if (t === TASK_ID) taskId = r.string();
    else if (t === LEASE_TOKEN) leaseToken = r.string();
    else if (t === RESULT) result = readValue(r, r.delimited(), true);
    else return false;
    return true;
  });
  return plain ? { taskId, leaseToken, result: () => result } : undefined;
}

/** A CompleteTaskRequest message as domain input; a bad result throws when it is read. */
export function completeAckFromProto(req: CompleteTaskRequest): CompleteAck {
  return { taskId: req.taskId, leaseToken: req.leaseToken, result: () => jsonFromValue(req.result, "result") };
}

/** A CompleteTask request's ack from its body: read directly if plain, else by protobuf-es, which may throw. */
export function completeAckOf(body: Uint8Array): CompleteAck {
  return readCompleteAck(body) ?? completeAckFromProto(parse(CompleteTaskRequestSchema, body));
}

/** A CompleteTasks request's acks from its fields: read directly if all are plain, else all by protobuf-es. */
export function completeAcksOf(fields: readonly UnknownField[]): CompleteAck[] {
  return readRepeated(fields, readCompleteAck) ?? parse(CompleteTasksRequestSchema, bodyOf(fields)).tasks.map(completeAckFromProto);
}

/** The complete routes' work, given the request's acks to read; wrap each in `guardUnary`. */
export interface CompleteHandlers {
  one(read: Read<CompleteAck>, ctx: HandlerContext): Promise<CompleteTaskResponse>;
  many(read: Read<CompleteAck[]>, ctx: HandlerContext): Promise<CompleteTasksResponse>;
}

/**
 * Registers CompleteTask and CompleteTasks a second time, reading binary requests with
 * `readCompleteAck` (raw-route.ts). Call after registering `WorkerService`.
 */
export function readCompletesDirectly(router: ConnectRouter, handle: CompleteHandlers): void {
  registerRaw(router, WorkerService.method.completeTask, (fields, ctx) => handle.one(() => completeAckOf(bodyOf(fields)), ctx));
  registerRaw(router, WorkerService.method.completeTasks, (fields, ctx) => handle.many(() => completeAcksOf(fields), ctx));
}

type AckResponseSchema = typeof CompleteTasksResponseSchema | typeof FailTasksResponseSchema;

/** A response of `schema`, whose field 1 is `repeated AckResult results`, holding `outcomes`. */
export function acksResponse<S extends AckResponseSchema>(ctx: HandlerContext, schema: S, outcomes: readonly AckOutcome[]): MessageShape<S> {
  const message = create(schema) as MessageShape<AckResponseSchema>;
  // An AckResult is some 45 bytes: an id, a status, or a short refusal.
  if (speaksBinary(ctx)) message.$unknown = repeatedField1(outcomes, writeAckResult, 64);
  else message.results = outcomes.map((o) => create(AckResultSchema, o));
  return message as MessageShape<S>;
}

/** Writes an AckResult body in field-number order, as protobuf-es does (status is field 5). */
function writeAckResult(w: ProtoWriter, a: AckOutcome): void {
  w.stringField(1, a.taskId).stringField(3, a.errorReason).stringField(4, a.errorMessage).int32Field(5, a.status);
}
