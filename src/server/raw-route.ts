/**
 * A unary method whose binary requests are read straight from their bytes (enqueue-wire.ts,
 * ack-wire.ts). The method is registered a second time with google.protobuf.Empty as its
 * input: every field of the request is unknown to Empty, so protobuf-es only splits the body
 * into fields and keeps them, unread, in `$unknown`. Binary requests go to that handler; JSON
 * ones stay with the handler the service registered first, which gets protobuf-es messages.
 *
 * A reader here takes only what it can read exactly as protobuf-es would; for anything else
 * the handler decodes the whole body with `parse`, so that protobuf-es's rules and errors
 * decide. Only bytes Empty cannot split — a group, or wire type 6 or 7, where protobuf-es
 * reads a field it knows by its declared type whatever the wire says — are refused by
 * connect before the handler runs, as a body that is not protobuf.
 */
import { type DescMessage, type DescMethodUnary, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { NotPlainError } from "@gobq/sdk/wire/json-wire.js";
import { ProtoReader } from "@gobq/sdk/wire/proto-reader.js";
import { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";

/** A field of a request as Empty's `$unknown` holds it: `data` is its value as on the wire. */
export type UnknownField = { no: number; wireType: WireType; data: Uint8Array };

/** Input that is read when asked: a request protobuf-es must decode throws its error then. */
export type Read<T> = () => T;

/** Reads a message body between `start` and `end` of `body`; undefined if it is not plain. */
export type PlainReader<T> = (body: Uint8Array, start: number, end: number) => T | undefined;

/**
 * Registers `method` a second time, its requests read by `handler` from their fields, and
 * routes the path's binary requests there. Call after registering the service's handler.
 */
export function registerRaw<M extends DescMethodUnary>(
  router: ConnectRouter,
  method: M,
  handler: (fields: readonly UnknownField[], ctx: HandlerContext) => Promise<MessageShape<M["output"]>>,
): void {
  const raw = { ...method, input: EmptySchema } as unknown as DescMethodUnary<typeof EmptySchema, M["output"]>;
  router.rpc(raw, (req, ctx) => handler(req.$unknown ?? [], ctx));
  routeBinaryToLast(router.handlers, `/${method.parent.typeName}/${method.name}`);
}

/** Decodes as connect does, failing with the error connect gives (decode-failures.ts rewrites it). */
export function parse<S extends DescMessage>(schema: S, bytes: Uint8Array): MessageShape<S> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
  }
}

/** Unknown fields joined back into the message bytes they came from. */
export function bodyOf(fields: readonly UnknownField[]): Uint8Array {
  const w = new ProtoWriter();
  for (const f of fields) w.uint32((f.no << 3) | f.wireType).raw(f.data);
  return w.finish();
}

/**
 * Reads the fields of a message body between `start` and `end`, each with `take`, which
 * returns false for one it does not read plainly. False if it did, if a field comes twice
 * (protobuf-es merges or keeps the last), or if the bytes are cut short, not UTF-8 or not
 * plain JSON: then protobuf-es decides what they are. Field numbers above `lastField` (at
 * most 30) are not read plainly.
 */
export function readFieldsOnce(body: Uint8Array, start: number, end: number, lastField: number, take: (tag: number, r: ProtoReader) => boolean): boolean {
  const r = new ProtoReader(body, start, end);
  let seen = 0;
  try {
    while (r.more()) {
      const t = r.tag();
      const field = t >>> 3;
      if (field > lastField || seen & (1 << field)) return false;
      seen |= 1 << field;
      if (!take(t, r)) return false;
    }
  } catch (err) {
    if (err instanceof NotPlainError || err instanceof RangeError || err instanceof TypeError) return false;
    throw err;
  }
  return true;
}

/**
 * A request made only of field 1, a repeated message, each read by `read`; undefined if any
 * field is another or not plain, and then protobuf-es must read the whole request.
 */
export function readRepeated<T>(fields: readonly UnknownField[], read: PlainReader<T>): T[] | undefined {
  const out: T[] = [];
  for (const f of fields) {
    const item = f.no === 1 && f.wireType === WireType.LengthDelimited ? readDelimited(f.data, read) : undefined;
    if (item === undefined) return undefined;
    out.push(item);
  }
  return out;
}

/** A length-prefixed message (an unknown field's data) read by `read`, or undefined. */
function readDelimited<T>(data: Uint8Array, read: PlainReader<T>): T | undefined {
  const r = new ProtoReader(data);
  try {
    const end = r.delimited();
    return end === data.length ? read(data, r.pos, end) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Of the path's two handlers, the first (protobuf-es messages) keeps JSON requests and the
 * last (raw fields) takes binary ones. Connect's adapters map a path to one handler after
 * the routes ran, so the pair is replaced in place by one that dispatches.
 */
function routeBinaryToLast(handlers: UniversalHandler[], path: string): void {
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
