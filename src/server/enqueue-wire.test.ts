import { create, fromBinary, fromJson, toBinary, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import { EnqueueTaskRequestSchema } from "@gobq/sdk/gen/task_service_pb.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { enqueueFromProto } from "./convert.js";
import { readEnqueueInput } from "./enqueue-wire.js";

const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<PbJson>;
const text = fc.string({ unit: "binary", maxLength: 30 });

/** Requests as clients write them: only the fields the direct reader takes. */
const plainRequest = fc.record(
  {
    name: text,
    category: text,
    priority: fc.integer({ min: 0, max: 4 }),
    args: fc.array(json, { maxLength: 3 }).map((values) => ({ values: values.map((v) => fromJson(ValueSchema, v)) })),
    kwargs: fc.dictionary(text.filter((k) => k !== "__proto__"), json, { maxKeys: 3, noNullPrototype: true }),
    maxRetries: fc.integer({ min: -5, max: 1000 }),
    idempotencyKey: text,
  },
  { requiredKeys: [] },
);

/** What protobuf-es and the converter make of the bytes, or "refused". */
function viaProtobufEs(bytes: Uint8Array): unknown {
  let message;
  try {
    message = fromBinary(EnqueueTaskRequestSchema, bytes);
  } catch {
    return "refused";
  }
  return plain(enqueueFromProto(message));
}

// protobuf-es builds Struct objects without a prototype; the values are what count.
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (x === undefined ? "<undefined>" : x)));

describe("enqueue requests read without protobuf-es", () => {
  it("give the input protobuf-es and enqueueFromProto give", () => {
    fc.assert(
      fc.property(plainRequest, (init) => {
        const bytes = toBinary(EnqueueTaskRequestSchema, create(EnqueueTaskRequestSchema, init));
        const input = readEnqueueInput(bytes);
        expect(input).toBeDefined();
        expect(plain(input)).toStrictEqual(viaProtobufEs(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("take nothing protobuf-es would read differently: corrupted bytes are either read alike or left to it", () => {
    const corrupted = fc
      .tuple(plainRequest, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(8))
      .map(([init, flips, cut]) => {
        const bytes = toBinary(EnqueueTaskRequestSchema, create(EnqueueTaskRequestSchema, init));
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes.subarray(0, Math.max(0, bytes.length - cut));
      });
    fc.assert(
      fc.property(fc.oneof(corrupted, fc.uint8Array({ maxLength: 40 })), (bytes) => {
        const input = readEnqueueInput(bytes);
        if (input !== undefined) expect(plain(input)).toStrictEqual(viaProtobufEs(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("leave run_at, timeout, retry_policy, unknown and repeated fields to protobuf-es", () => {
    const base = { name: "a", kwargs: { x: 1 } };
    const others = [
      { ...base, runAt: timestampFromMs(1) },
      { ...base, timeout: durationFromMs(5) },
      { ...base, retryPolicy: { jitter: 0.5 } },
    ];
    for (const init of others) expect(readEnqueueInput(toBinary(EnqueueTaskRequestSchema, create(EnqueueTaskRequestSchema, init)))).toBeUndefined();
    const once = toBinary(EnqueueTaskRequestSchema, create(EnqueueTaskRequestSchema, base));
    expect(readEnqueueInput(new Uint8Array([...once, ...once]))).toBeUndefined(); // kwargs twice: protobuf-es merges
    expect(readEnqueueInput(new Uint8Array([...once, 0x58, 1]))).toBeUndefined(); // field 11
    expect(readEnqueueInput(new Uint8Array([0x0a, 1, 0xff]))).toBeUndefined(); // not UTF-8
    expect(readEnqueueInput(new Uint8Array([0x18, 9]))).toBeUndefined(); // unknown priority: protobuf-es names the field
  });
});
