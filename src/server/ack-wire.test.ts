import { create, type DescMessage, fromBinary, type MessageInitShape, fromJson, toBinary, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { EmptySchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import {
  type CompleteTaskRequest,
  CompleteTaskRequestSchema,
  CompleteTasksRequestSchema,
  CompleteTasksResponseSchema,
  FailTasksResponseSchema,
} from "@gobq/sdk/gen/worker_service_pb.js";
import { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";
import { writeCompleteTaskRequest } from "@gobq/sdk/wire/task-wire.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AckOutcome, acksResponse, type CompleteAck, completeAckOf, completeAcksOf, readCompleteAck } from "./ack-wire.js";
import { jsonFromValue } from "./convert.js";
import { bodyOf, readRepeated } from "./raw-route.js";

const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<PbJson>;
const text = fc.string({ unit: "binary", maxLength: 40 });

/** Requests as clients write them: each field at most once, a plain JSON result. */
const plainRequest = fc.record({ taskId: text, leaseToken: text, result: json.map((v) => fromJson(ValueSchema, v)) }, { requiredKeys: [] });

const oneBytes = (init: MessageInitShape<typeof CompleteTaskRequestSchema>) => toBinary(CompleteTaskRequestSchema, create(CompleteTaskRequestSchema, init));

/** What the handler sees of an error: its class, code and message. */
const described = (err: unknown) => (err instanceof ConnectError ? `${Code[err.code]} ${err.rawMessage}` : `${(err as Error).constructor.name} ${(err as Error).message}`);

function attempt<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (err) {
    return { error: described(err) };
  }
}

// protobuf-es builds Struct objects without a prototype; the values are what count.
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (x === undefined ? "<undefined>" : x)));

/** An ack as the scheduler gets it, its result read as the handler reads it: per ack. */
const settled = (a: CompleteAck) => plain({ taskId: a.taskId, leaseToken: a.leaseToken, result: attempt(a.result) });

/** The acks a raw route reads from `bytes`; undefined if connect cannot split them into fields for it. */
function viaRawRoute(bytes: Uint8Array, many: boolean): unknown {
  let fields;
  try {
    fields = fromBinary(EmptySchema, bytes).$unknown ?? [];
  } catch {
    return undefined;
  }
  return attempt(() => (many ? completeAcksOf(fields).map(settled) : [settled(completeAckOf(bodyOf(fields)))]));
}

/** The acks the route read from `bytes` before: connect decodes the request, then each result is converted. */
function viaProtobufEs(bytes: Uint8Array, many: boolean): unknown {
  const before = (t: CompleteTaskRequest) => plain({ taskId: t.taskId, leaseToken: t.leaseToken, result: attempt(() => jsonFromValue(t.result, "result")) });
  return attempt(() => (many ? connectDecodes(CompleteTasksRequestSchema, bytes).tasks.map(before) : [before(connectDecodes(CompleteTaskRequestSchema, bytes))]));
}

function connectDecodes<S extends DescMessage>(schema: S, bytes: Uint8Array) {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(`parse binary: ${(err as Error).message}`, Code.Internal);
  }
}

describe("acks read without protobuf-es", () => {
  it("give what protobuf-es and the conversion give, one or many", () => {
    fc.assert(
      fc.property(fc.array(plainRequest, { maxLength: 4 }), (inits) => {
        for (const init of inits) {
          const bytes = oneBytes(init);
          expect(readCompleteAck(bytes)).toBeDefined();
          expect(viaRawRoute(bytes, false)).toStrictEqual(viaProtobufEs(bytes, false));
        }
        const batch = toBinary(CompleteTasksRequestSchema, create(CompleteTasksRequestSchema, { tasks: inits }));
        expect(readRepeated(fromBinary(EmptySchema, batch).$unknown ?? [], readCompleteAck)).toHaveLength(inits.length);
        expect(viaRawRoute(batch, true)).toStrictEqual(viaProtobufEs(batch, true));
      }),
      { numRuns: 300 },
    );
  });

  it("read what the SDK writes", () => {
    const w = new ProtoWriter();
    writeCompleteTaskRequest(w, "019a0000-0000-7000-8000-000000000001", "token", { rows: [1, "two", null, true, -0.5], nested: { a: {} } });
    const bytes = w.finish();
    expect(readCompleteAck(bytes)).toBeDefined();
    expect(viaRawRoute(bytes, false)).toStrictEqual(viaProtobufEs(bytes, false));
  });

  it("take nothing protobuf-es would read differently: corrupted bytes are read alike, or left to it with its error", () => {
    const damage = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(8));
    const corrupt = (bytes: Uint8Array, [flips, cut]: [Array<[number, number]>, number]) => {
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, Math.max(0, bytes.length - cut));
    };
    const one = fc.tuple(plainRequest, damage).map(([init, d]) => corrupt(oneBytes(init), d));
    const many = fc
      .tuple(fc.array(plainRequest, { minLength: 1, maxLength: 3 }), damage)
      .map(([tasks, d]) => corrupt(toBinary(CompleteTasksRequestSchema, create(CompleteTasksRequestSchema, { tasks })), d));
    const garbage = fc.uint8Array({ maxLength: 40 });
    // Bytes connect cannot split into fields (a group or wire type 6 or 7 where protobuf-es,
    // knowing the field, reads its type regardless) never reach the raw route: connect
    // answers them as a body that is not protobuf, as for enqueues.
    const agree = (bytes: Uint8Array, many: boolean) => {
      const raw = viaRawRoute(bytes, many);
      if (raw !== undefined) expect(raw).toStrictEqual(viaProtobufEs(bytes, many));
    };
    fc.assert(
      fc.property(fc.oneof(one, garbage), (bytes) => agree(bytes, false)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.oneof(many, garbage), (bytes) => agree(bytes, true)),
      { numRuns: 1000 },
    );
  });

  it("leave repeated and unknown fields, bad text and JSON that is not plain to protobuf-es, which keeps its errors", () => {
    const once = oneBytes({ taskId: "t", leaseToken: "l", result: fromJson(ValueSchema, { a: 1 }) });
    const odd = [
      new Uint8Array([...once, ...once]), // every field twice: protobuf-es keeps the last, merges the result
      new Uint8Array([...once, 0x20, 1]), // field 4
      new Uint8Array([0x08, 1]), // task_id as a varint
      new Uint8Array([0x0a, 1, 0xff]), // not UTF-8
      new Uint8Array([0x1a, 0]), // a result of no kind: INVALID_ARGUMENT naming it
      oneBytes({ result: { kind: { case: "numberValue", value: Number.NaN } } }), // JSON cannot hold it
      new Uint8Array([0x1a, 4, 0x0a, 2, 0x33, 0x34]), // null_value written as bytes
    ];
    for (const bytes of odd) {
      expect(readCompleteAck(bytes)).toBeUndefined();
      expect(viaRawRoute(bytes, false)).toStrictEqual(viaProtobufEs(bytes, false));
      const batch = new Uint8Array([0x0a, bytes.length, ...bytes, ...[0x0a, once.length, ...once]]);
      expect(viaRawRoute(batch, true)).toStrictEqual(viaProtobufEs(batch, true));
    }
    expect(viaProtobufEs(new Uint8Array([0x1a, 0]), false)).toMatchObject({ value: [{ result: { error: expect.stringContaining("result") } }] });
  });
});


/** A call's context as far as the answer's encoding goes: its method and content type. */
const context = (contentType: string) => ({ requestMethod: "POST", requestHeader: new Headers({ "content-type": contentType }) }) as HandlerContext;

const accepted: AckOutcome = { taskId: "019a0000-0000-7000-8000-000000000001", status: TaskStatus.SUCCESS, errorReason: "", errorMessage: "" };
const refused: AckOutcome = {
  taskId: "019a0000-0000-7000-8000-000000000002",
  status: TaskStatus.UNSPECIFIED,
  errorReason: "LEASE_LOST",
  errorMessage: 'task "019a0000-0000-7000-8000-000000000002": lease lost (expired, or held by another attempt)',
};
const anyOutcome: fc.Arbitrary<AckOutcome> = fc.record({
  taskId: text,
  status: fc.constantFrom(...(Object.values(TaskStatus).filter((v) => typeof v === "number") as TaskStatus[])),
  errorReason: text,
  errorMessage: fc.string({ unit: "binary", maxLength: 200 }),
});

describe("ack answers written without protobuf-es", () => {
  it("are byte for byte what protobuf-es writes, and messages for JSON callers", () => {
    const binary = context("application/proto");
    const check = (outcomes: AckOutcome[]) => {
      for (const schema of [CompleteTasksResponseSchema, FailTasksResponseSchema]) {
        const before = create(schema, { results: outcomes });
        expect(toBinary(schema, acksResponse(binary, schema, outcomes))).toStrictEqual(toBinary(schema, before));
        expect(acksResponse(context("application/json"), schema, outcomes)).toStrictEqual(before);
      }
    };
    check([accepted, refused, accepted]);
    check([]);
    fc.assert(
      fc.property(fc.array(anyOutcome, { maxLength: 5 }), (outcomes) => check(outcomes)),
      { numRuns: 300 },
    );
  });
});
