/**
 * JSON values as the well-known types google.protobuf.Value, Struct and ListValue on the
 * wire, written from and read into plain JSON: no message tree in between.
 *
 * Value is a oneof: null_value = 1 (enum), number_value = 2, string_value = 3,
 * bool_value = 4, struct_value = 5, list_value = 6; the member that is set is written
 * even when it holds its default. Struct is `map<string, Value> fields = 1`, each entry
 * with its key (1) and value (2); ListValue is `repeated Value values = 1`.
 */
import { WireType } from "@bufbuild/protobuf/wire";
import type { ProtoReader } from "./proto-reader.js";
import type { ProtoWriter } from "./proto-writer.js";

/** A JSON value, as gobq's payloads are. */
export type WireJson = null | boolean | number | string | WireJson[] | { [key: string]: WireJson };

/** Writes `value` as a google.protobuf.Value body; throws a TypeError naming `path` for what JSON cannot hold. */
export function writeValue(w: ProtoWriter, value: unknown, path: string): void {
  switch (typeof value) {
    case "string":
      w.string(3, value);
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      w.tag(2, WireType.Bit64).double(value);
      return;
    case "boolean":
      w.tag(4, WireType.Varint).uint32(value ? 1 : 0);
      return;
    case "object": {
      if (value === null) {
        w.tag(1, WireType.Varint).uint32(0);
        return;
      }
      w.tag(Array.isArray(value) ? 6 : 5, WireType.LengthDelimited);
      const at = w.fork();
      if (Array.isArray(value)) writeListValue(w, value, path);
      else writeStruct(w, value as Record<string, unknown>, path);
      w.join(at);
      return;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} is not a JSON value`);
  }
}

/** Writes `object` as a google.protobuf.Struct body. */
export function writeStruct(w: ProtoWriter, object: Record<string, unknown>, path: string): void {
  for (const key of Object.keys(object)) {
    w.tag(1, WireType.LengthDelimited);
    const entry = w.fork();
    w.string(1, key);
    w.tag(2, WireType.LengthDelimited);
    const value = w.fork();
    writeValue(w, object[key], `${path}.${key}`);
    w.join(value);
    w.join(entry);
  }
}

/** Writes `list` as a google.protobuf.ListValue body. */
export function writeListValue(w: ProtoWriter, list: readonly unknown[], path: string): void {
  for (let i = 0; i < list.length; i++) {
    w.tag(1, WireType.LengthDelimited);
    const at = w.fork();
    writeValue(w, list[i], `${path}[${i}]`);
    w.join(at);
  }
}

/** Writes `value` as a length-delimited Value field `field` (nothing if undefined). */
export function writeValueField(w: ProtoWriter, field: number, value: unknown, path: string): void {
  if (value === undefined) return;
  w.tag(field, WireType.LengthDelimited);
  const at = w.fork();
  writeValue(w, value, path);
  w.join(at);
}

/** Writes `object` as a length-delimited Struct field `field`. */
export function writeStructField(w: ProtoWriter, field: number, object: Record<string, unknown>, path: string): void {
  w.tag(field, WireType.LengthDelimited);
  const at = w.fork();
  writeStruct(w, object, path);
  w.join(at);
}

/** Writes `list` as a length-delimited ListValue field `field`. */
export function writeListValueField(w: ProtoWriter, field: number, list: readonly unknown[], path: string): void {
  w.tag(field, WireType.LengthDelimited);
  const at = w.fork();
  writeListValue(w, list, path);
  w.join(at);
}

/**
 * Thrown by a strict read (see `readValue`) at anything but the plain encoding a writer
 * like json-wire's produces: the caller then leaves the bytes to protobuf-es, whose rules
 * (merging repeated messages, oneof last-wins, limits) and errors decide.
 */
export class NotPlainError extends Error {}

/** Nesting beyond this is left to protobuf-es (its limit is 100). */
const STRICT_MAX_DEPTH = 32;

function notPlain(what: string): never {
  throw new NotPlainError(what);
}

/**
 * Reads a google.protobuf.Value body ending at `end`. A Value with no kind set is refused,
 * as protobuf-es does. `strict`: throws NotPlainError at anything unusual — a second kind,
 * an unknown field, a non-finite number, a repeated or "__proto__" key, deep nesting.
 */
export function readValue(r: ProtoReader, end: number, strict = false, depth = 0): WireJson {
  if (strict && depth > STRICT_MAX_DEPTH) notPlain("deep");
  let value: WireJson | undefined;
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.tag();
    if (strict && value !== undefined) notPlain("two kinds");
    switch (tag) {
      case (1 << 3) | WireType.Varint:
        if (r.uint32() !== 0 && strict) notPlain("null_value");
        value = null;
        break;
      case (2 << 3) | WireType.Bit64:
        value = r.double();
        if (strict && !Number.isFinite(value)) notPlain("number");
        break;
      case (3 << 3) | WireType.LengthDelimited:
        value = r.string();
        break;
      case (4 << 3) | WireType.Varint:
        value = r.bool();
        break;
      case (5 << 3) | WireType.LengthDelimited: {
        const e = r.delimited();
        value = readStruct(r, e, strict, depth + 1);
        break;
      }
      case (6 << 3) | WireType.LengthDelimited: {
        const e = r.delimited();
        value = readListValue(r, e, strict, depth + 1);
        break;
      }
      default:
        if (strict) notPlain("field");
        r.skip(tag & 7);
    }
  }
  r.end = outer;
  if (value === undefined) {
    if (strict) notPlain("no kind");
    throw new TypeError("google.protobuf.Value must have a value");
  }
  return value;
}

/** Reads a google.protobuf.Struct body ending at `end`; a key given twice keeps its last value. */
export function readStruct(r: ProtoReader, end: number, strict = false, depth = 0): { [key: string]: WireJson } {
  const object: { [key: string]: WireJson } = {};
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.tag();
    if (tag !== ((1 << 3) | WireType.LengthDelimited)) {
      if (strict) notPlain("field");
      r.skip(tag & 7);
      continue;
    }
    const entryEnd = r.delimited();
    let key: string | undefined;
    let value: WireJson | undefined;
    const entryOuter = r.end;
    r.end = entryEnd;
    while (r.more()) {
      const t = r.tag();
      if (strict && (t === ((1 << 3) | WireType.LengthDelimited) ? key : value) !== undefined) notPlain("entry field twice");
      if (t === ((1 << 3) | WireType.LengthDelimited)) key = r.string();
      else if (t === ((2 << 3) | WireType.LengthDelimited)) value = readValue(r, r.delimited(), strict, depth);
      else if (strict) notPlain("entry field");
      else r.skip(t & 7);
    }
    r.end = entryOuter;
    key ??= "";
    if (strict && (value === undefined || key === "__proto__" || Object.prototype.hasOwnProperty.call(object, key))) notPlain("entry");
    // As JSON.parse does: "__proto__" is an own key like any other, never the prototype.
    if (key === "__proto__") Object.defineProperty(object, key, { value: value ?? null, enumerable: true, writable: true, configurable: true });
    else object[key] = value ?? null;
  }
  r.end = outer;
  return object;
}

/** Reads a google.protobuf.ListValue body ending at `end`. */
export function readListValue(r: ProtoReader, end: number, strict = false, depth = 0): WireJson[] {
  const list: WireJson[] = [];
  const outer = r.end;
  r.end = end;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WireType.LengthDelimited)) list.push(readValue(r, r.delimited(), strict, depth));
    else if (strict) notPlain("field");
    else r.skip(tag & 7);
  }
  r.end = outer;
  return list;
}
