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
import { type DescMessage, type DescMethodUnary, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { TaskPriority as PbPriority } from "@gobq/sdk/gen/task_pb.js";
import {
  EnqueueTaskRequestSchema,
  type EnqueueTaskResponseSchema,
  EnqueueTasksRequestSchema,
  type EnqueueTasksResponseSchema,
  TaskService,
} from "@gobq/sdk/gen/task_service_pb.js";
import { NotPlainError, readListValue, readStruct } from "@gobq/sdk/wire/json-wire.js";
import { ProtoReader } from "@gobq/sdk/wire/proto-reader.js";
import { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";
import type { JsonObject, JsonValue, TaskPriority } from "../task/task.js";
import type { EnqueueInput } from "../task/validate.js";
import { enqueueFromProto, PRIORITY_TO_PB, priorityFromProto } from "./convert.js";

type UnknownField = { no: number; wireType: WireType; data: Uint8Array };

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
  const r = new ProtoReader(body, start, end);
  let name = "";
  let category = "";
  let priority: TaskPriority | undefined;
  let args: JsonValue[] | undefined;
  let kwargs: JsonObject | undefined;
  let maxRetries = 0;
  let idempotencyKey = "";
  let seen = 0;
  try {
    while (r.more()) {
      const t = r.tag();
      const field = t >>> 3;
      if (field > 9 || seen & (1 << field)) return undefined;
      seen |= 1 << field;
      switch (t) {
        case tag(1, LD):
          name = intern(r.string());
          break;
        case tag(2, LD):
          category = intern(r.string());
          break;
        case tag(3, VARINT): {
          const p = r.int32();
          if (!KNOWN_PRIORITIES.has(p)) return undefined; // the other way names the field
          priority = priorityFromProto(p, "priority");
          break;
        }
        case tag(4, LD):
          args = readListValue(r, r.delimited(), true);
          break;
        case tag(5, LD):
          kwargs = readStruct(r, r.delimited(), true);
          break;
        case tag(6, VARINT):
          maxRetries = r.int32();
          break;
        case tag(9, LD):
          idempotencyKey = r.string();
          break;
        default:
          return undefined;
      }
    }
  } catch (err) {
    // Not UTF-8, cut short, not plain JSON: protobuf-es decides what it is.
    if (err instanceof NotPlainError || err instanceof RangeError || err instanceof TypeError) return undefined;
    throw err;
  }
  return { name, category, priority, args, kwargs, maxRetries, runAt: undefined, timeoutMs: undefined, idempotencyKey, retryPolicy: undefined };
}

/** Input that is read when asked: a request protobuf-es must decode throws its error then. */
type Read<T> = () => T;

/** The enqueue routes' work, given the request's input to read; wrap each in `guardUnary`. */
export interface EnqueueHandlers {
  one(read: Read<EnqueueInput>, ctx: HandlerContext): Promise<MessageShape<typeof EnqueueTaskResponseSchema>>;
  many(read: Read<EnqueueInput[]>, ctx: HandlerContext): Promise<MessageShape<typeof EnqueueTasksResponseSchema>>;
}

/**
 * Registers EnqueueTask and EnqueueTasks on `router` a second time, reading binary
 * requests with `readEnqueueInput`, and makes each path take binary requests there and
 * JSON ones to the handler `TaskService` registered first. Call after registering it.
 */
export function readEnqueuesDirectly(router: ConnectRouter, handle: EnqueueHandlers): void {
  const one = TaskService.method.enqueueTask;
  const many = TaskService.method.enqueueTasks;
  const raw = <M extends DescMethodUnary>(method: M) => ({ ...method, input: EmptySchema }) as unknown as DescMethodUnary<typeof EmptySchema, M["output"]>;
  router.rpc(raw(one), (req, ctx) => {
    const body = bodyOf(req.$unknown);
    return handle.one(() => readEnqueueInput(body) ?? enqueueFromProto(parse(EnqueueTaskRequestSchema, body)), ctx);
  });
  router.rpc(raw(many), (req, ctx) => {
    const fields = req.$unknown ?? [];
    return handle.many(() => {
      const inputs: EnqueueInput[] = [];
      for (const f of fields) {
        const input = f.no === 1 && f.wireType === LD ? readDelimitedInput(f.data) : undefined;
        // Anything not plain: the whole request goes the protobuf-es way, errors and all.
        if (input === undefined) return parse(EnqueueTasksRequestSchema, bodyOf(fields)).tasks.map((t, i) => enqueueFromProto(t, `tasks[${i}].`));
        inputs.push(input);
      }
      return inputs;
    }, ctx);
  });
  routeBinaryToLast(router.handlers, [one, many].map((m) => `/${m.parent.typeName}/${m.name}`));
}

/** Decodes as connect does, failing with the error connect gives (decode-failures.ts rewrites it). */
function parse<S extends DescMessage>(schema: S, bytes: Uint8Array): MessageShape<S> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
  }
}

/** A length-prefixed EnqueueTaskRequest (an unknown field's data) read plainly, or undefined. */
function readDelimitedInput(data: Uint8Array): EnqueueInput | undefined {
  const r = new ProtoReader(data);
  try {
    const end = r.delimited();
    return end === data.length ? readEnqueueInput(data, r.pos, end) : undefined;
  } catch {
    return undefined;
  }
}

/** Unknown fields joined back into the message bytes they came from. */
function bodyOf(fields: readonly UnknownField[] | undefined): Uint8Array {
  const w = new ProtoWriter();
  for (const f of fields ?? []) w.uint32((f.no << 3) | f.wireType).raw(f.data);
  return w.finish();
}

/**
 * For each path: of its two handlers, the first (protobuf-es messages) keeps JSON requests
 * and the last (raw bytes) takes binary ones. Connect's adapters map a path to one handler
 * after the routes ran, so the pair is replaced in place by one that dispatches.
 */
function routeBinaryToLast(handlers: UniversalHandler[], paths: readonly string[]): void {
  for (const path of paths) {
    const at = handlers.flatMap((h, i) => (h.requestPath === path ? [i] : []));
    if (at.length !== 2) throw new Error(`${path}: expected its handler registered twice, found ${at.length}`);
    const messages = handlers[at[0]!]!;
    const raw = handlers[at[1]!]!;
    const dispatch = (req: Parameters<UniversalHandler>[0]) => {
      const type = req.header.get("content-type");
      return req.method === "POST" && type !== null && !type.includes("json") ? raw(req) : messages(req);
    };
    handlers.splice(at[1]!, 1);
    handlers[at[0]!] = Object.assign(dispatch, messages);
  }
}

