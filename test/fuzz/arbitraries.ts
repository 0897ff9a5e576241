/**
 * fast-check arbitraries for request fields: each field is drawn good or bad, and a bad one
 * records the field names the server may blame for it (as the API spells them), so a
 * property can check that a refusal names a field that really is wrong.
 */
import { create, type JsonValue as PbJson } from "@bufbuild/protobuf";
import {
  type Duration,
  DurationSchema,
  type ListValue,
  ListValueSchema,
  type Timestamp,
  TimestampSchema,
  type Value,
  ValueSchema,
} from "@bufbuild/protobuf/wkt";
import fc from "fast-check";

/** A drawn field value; `blame` lists the fields a refusal may name when the value is bad. */
export interface Drawn<T> {
  value: T;
  blame: readonly string[];
}

/** Draws `good` mostly, `bad` sometimes; a bad value is blamed on `names` (default: the field itself). */
export function field<T>(name: string, good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, names: readonly string[] = [name]): fc.Arbitrary<Drawn<T>> {
  return fc.oneof(
    { weight: 6, arbitrary: good.map((value) => ({ value, blame: [] as readonly string[] })) },
    { weight: 1, arbitrary: bad.map((value) => ({ value, blame: names })) },
  );
}

/** Every field name blamed by any of the drawn fields. */
export function blamed(fields: Record<string, Drawn<unknown>>): string[] {
  return Object.values(fields).flatMap((f) => f.blame);
}

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const char = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

/** Valid names and categories. */
export const goodName = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/);

/** Non-empty strings a name may not be: oversized, control characters, lone surrogates, spaces, other scripts. */
export const badNonEmptyName = fc
  .oneof(
    fc.string({ unit: fc.constantFrom("a", "Z", "9", "_"), minLength: 129, maxLength: 400 }),
    fc.string({ unit: char(0, 31), minLength: 1, maxLength: 8 }),
    fc.tuple(goodName, char(0xd800, 0xdfff), goodName).map((p) => p.join("")),
    fc.tuple(goodName, fc.constantFrom(" ", "\n", "\t", "/", "\u00e9", "\u540d", "\u{1F600}", "\u202e", "\u0000"), goodName).map((p) => p.join("")),
    fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
  )
  .filter((s) => !NAME.test(s));

/** Any string a required name may not be, the empty one included. */
export const badName = fc.oneof(fc.constant(""), badNonEmptyName);

/** Strings of any content up to `max` characters (what free-text fields accept). */
export const freeText = (max: number) => fc.string({ unit: "binary", maxLength: Math.min(max, 64) });

/** Strings one past `max` characters and a little more. */
export const tooLong = (max: number) => fc.string({ unit: fc.constantFrom("x", "\u0000", "\u00e9"), minLength: max + 1, maxLength: max + 40 });

/** Ids that are no UUID at all. */
export const badId = fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 50 })).filter((s) => !/^[0-9a-f-]{36}$/i.test(s));

/** int32 values below `min` or above `max`. */
export const intOutside = (min: number, max: number) =>
  fc.oneof(fc.integer({ min: -(2 ** 31), max: min - 1 }), fc.integer({ min: max + 1, max: 2 ** 31 - 1 }));

/** Doubles below `min` or above `max`, and NaN and the infinities. */
export const doubleOutside = (min: number, max: number) =>
  fc.oneof(
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.double({ max: min, noNaN: true, noDefaultInfinity: true }).filter((d) => d < min),
    fc.double({ min: max, noNaN: true, noDefaultInfinity: true }).filter((d) => d > max),
  );

/** Enum numbers no enum value has (all ours run 0..6); 0 means "unset" and is valid. */
export const unknownEnum = fc.oneof(fc.integer({ min: 7, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 }));

/** A Duration of whole milliseconds in [minMs, maxMs]. */
export const durationMs = (minMs: number, maxMs: number): fc.Arbitrary<Duration> =>
  fc.integer({ min: minMs, max: maxMs }).map((ms) =>
    create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 }),
  );

/** Durations that are no valid duration: negative, out-of-range or mixed-sign nanos, or absurdly long. */
export const badDuration: fc.Arbitrary<Duration> = fc.oneof(
  fc.bigInt({ min: -(2n ** 62n), max: -1n }).map((seconds) => create(DurationSchema, { seconds })),
  fc.integer({ min: 1_000_000_000, max: 2 ** 31 - 1 }).map((nanos) => create(DurationSchema, { seconds: 1n, nanos })),
  fc.integer({ min: 1, max: 999_999_999 }).map((nanos) => create(DurationSchema, { seconds: 5n, nanos: -nanos })),
  fc.bigInt({ min: 315_576_000_001n, max: 2n ** 62n }).map((seconds) => create(DurationSchema, { seconds })),
);

/** Durations outside [minMs, maxMs], or invalid as durations at all. */
export const durationOutside = (minMs: number, maxMs: number) =>
  fc.oneof(badDuration, durationMs(maxMs + 1, maxMs + 10_000_000), ...(minMs > 0 ? [durationMs(0, minMs - 1)] : []));

/** Timestamps no valid time: nanos out of range, or seconds past what a Date holds. */
export const badTimestamp: fc.Arbitrary<Timestamp> = fc.oneof(
  fc.oneof(fc.integer({ min: 1_000_000_000, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 })).map((nanos) =>
    create(TimestampSchema, { seconds: 1_700_000_000n, nanos }),
  ),
  fc.oneof(fc.bigInt({ min: 8_640_000_000_001n, max: 2n ** 62n }), fc.bigInt({ min: -(2n ** 62n), max: -8_640_000_000_001n })).map((seconds) =>
    create(TimestampSchema, { seconds }),
  ),
);

/**
 * JSON values protobuf carries and JSON holds — except keys "__proto__", which protobuf-es
 * drops when it decodes a Struct (bufbuild/protobuf-es#1451): nothing the server can see.
 */
export const goodJson = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<PbJson>;

const num = (value: number): Value => create(ValueSchema, { kind: { case: "numberValue", value } });
const list = (values: Value[]): Value => create(ValueSchema, { kind: { case: "listValue", value: { values } } });
const nested = (depth: number, leaf: Value): Value => (depth === 0 ? leaf : list([nested(depth - 1, leaf)]));

/** Values JSON cannot hold — NaN, infinities, a Value with no kind — possibly nested; or nested too deep. */
export const badValue: fc.Arbitrary<{ value: Value; tooDeepToDecode: boolean }> = fc.oneof(
  fc
    .tuple(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), fc.integer({ min: 0, max: 5 }))
    .map(([n, depth]) => ({ value: nested(depth, num(n)), tooDeepToDecode: false })),
  fc.integer({ min: 0, max: 5 }).map((depth) => ({ value: nested(depth, create(ValueSchema, {})), tooDeepToDecode: false })),
  // Past the server's JSON depth limit (32) but within protobuf's decoding limit (100 messages).
  fc.integer({ min: 34, max: 44 }).map((depth) => ({ value: nested(depth, num(1)), tooDeepToDecode: false })),
  // Past protobuf's decoding limit: the body as a whole is refused.
  fc.integer({ min: 60, max: 300 }).map((depth) => ({ value: nested(depth, num(1)), tooDeepToDecode: true })),
);

/** A ListValue holding one bad value among good ones. */
export const badList: fc.Arbitrary<{ value: ListValue; tooDeepToDecode: boolean }> = fc
  .tuple(badValue, fc.array(fc.integer(), { maxLength: 3 }))
  .map(([bad, nums]) => ({ value: create(ListValueSchema, { values: [...nums.map(num), bad.value] }), tooDeepToDecode: bad.tooDeepToDecode }));

/** A Value of more than 1 MiB as JSON (the default result and payload limit). */
export const oversizedValue: Value = create(ValueSchema, { kind: { case: "stringValue", value: "x".repeat((1 << 20) + 1) } });
