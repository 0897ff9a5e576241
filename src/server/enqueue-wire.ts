/**
 * Enqueue requests in protobuf binary, read straight into domain input — the request-side
 * twin of task-wire.ts. protobuf-es's `fromBinary` builds a message tree per task (a Value
 * message per JSON value) and `enqueueFromProto` converts it again: about 5–10 µs per task,
 * measured; reading the bytes directly costs 1–2 µs.
 *
 * Only the plain encoding every client writes is read here: name, category, priority, args,
 * kwargs, max_retries and idempotency_key, each at most once, with plain JSON values. A
 * request holding anything else — run_at, timeout, retry_policy, an unknown field, a
 * repeated message, bytes that are not valid protobuf — is decoded by protobuf-es as
 * before, so its rules and its errors decide. The tests check that both readings agree.
 */
import type { MessageShape } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { TaskPriority as PbPriority } from "@gobq/sdk/gen/task_pb.js";
import {
  EnqueueTaskRequestSchema,
  type EnqueueTaskResponseSchema,
  EnqueueTasksRequestSchema,
  type EnqueueTasksResponseSchema,
  TaskService,
} from "@gobq/sdk/gen/task_service_pb.js";
import { readListValue, readStruct } from "@gobq/sdk/wire/json-wire.js";
import type { JsonObject, JsonValue, TaskPriority } from "../task/task.js";
import type { EnqueueInput } from "../task/validate.js";
import { enqueueFromProto, PRIORITY_TO_PB, priorityFromProto } from "./convert.js";
import { bodyOf, parse, type Read, readFieldsOnce, readRepeated, registerRaw } from "./raw-route.js";

const KNOWN_PRIORITIES: ReadonlySet<number> = new Set([PbPriority.UNSPECIFIED, ...Object.values(PRIORITY_TO_PB)]);

const tag = (field: number, wireType: WireType): number => (field << 3) | wireType;
const LD = WireType.LengthDelimited;
const VARINT = WireType.Varint;

// Names and categories repeat across tasks: each queued task then holds the one shared
// string, not two copies of its own (some 60 bytes for short ones). Bounded, so that a
// stream of distinct names cannot grow it without end.
const interned = new Map<string, string>();
const MAX_INTERNED = 10_000;

function intern(text: string): string {
  const known = interned.get(text);
  if (known !== undefined) return known;
  if (interned.size < MAX_INTERNED) interned.set(text, text);
  return text;
}

/**
 * The EnqueueTaskRequest body between `start` and `end` as domain input, exactly as
 * `enqueueFromProto(fromBinary(…))` gives it; undefined if it is not plain (see the module
 * comment), and then only protobuf-es may read it.
 */
export function readEnqueueInput(body: Uint8Array, start = 0, end = body.length): EnqueueInput | undefined {
  let name = "";
  let category = "";
  let priority: TaskPriority | undefined;
  let args: JsonValue[] | undefined;
  let kwargs: JsonObject | undefined;
  let maxRetries = 0;
  let idempotencyKey = "";
  const plain = readFieldsOnce(body, start, end, 9, (t, r) => {
    switch (t) {
      case tag(1, LD):
        name = intern(r.string());
        return true;
      case tag(2, LD):
        category = intern(r.string());
        return true;
      case tag(3, VARINT): {
        const p = r.int32();
        if (!KNOWN_PRIORITIES.has(p)) return false; // the other way names the field
        priority = priorityFromProto(p, "priority");
        return true;
      }
      case tag(4, LD):
        args = readListValue(r, r.delimited(), true);
        return true;
      case tag(5, LD):
        kwargs = readStruct(r, r.delimited(), true);
        return true;
      case tag(6, VARINT):
        maxRetries = r.int32();
        return true;
      case tag(9, LD):
        idempotencyKey = r.string();
        return true;
      default:
        return false;
    }
  });
  if (!plain) return undefined;
  return { name, category, priority, args, kwargs, maxRetries, runAt: undefined, timeoutMs: undefined, idempotencyKey, retryPolicy: undefined };
}

/** The enqueue routes' work, given the request's input to read; wrap each in `guardUnary`. */
export interface EnqueueHandlers {
  one(read: Read<EnqueueInput>, ctx: HandlerContext): Promise<MessageShape<typeof EnqueueTaskResponseSchema>>;
  many(read: Read<EnqueueInput[]>, ctx: HandlerContext): Promise<MessageShape<typeof EnqueueTasksResponseSchema>>;
}

/**
 * Registers EnqueueTask and EnqueueTasks a second time, reading binary requests with
 * `readEnqueueInput` (raw-route.ts). Call after registering `TaskService`.
 */
export function readEnqueuesDirectly(router: ConnectRouter, handle: EnqueueHandlers): void {
  registerRaw(router, TaskService.method.enqueueTask, (fields, ctx) => {
    const body = bodyOf(fields);
    return handle.one(() => readEnqueueInput(body) ?? enqueueFromProto(parse(EnqueueTaskRequestSchema, body)), ctx);
  });
  registerRaw(router, TaskService.method.enqueueTasks, (fields, ctx) =>
    handle.many(
      () =>
        readRepeated(fields, readEnqueueInput) ??
        // Anything not plain: the whole request goes the protobuf-es way, errors and all.
        parse(EnqueueTasksRequestSchema, bodyOf(fields)).tasks.map((t, i) => enqueueFromProto(t, `tasks[${i}].`)),
      ctx,
    ),
  );
}
