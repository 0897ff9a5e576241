/**
 * Unary calls whose request and response bodies are protobuf bytes the SDK writes and
 * reads itself (task-wire.ts), through an ordinary Connect transport — its protocol,
 * interceptors, deadlines and errors all apply as for any call.
 *
 * How: the call is made with google.protobuf.Empty as both input and output. The request's
 * fields ride as Empty's unknown fields, which protobuf-es writes out verbatim; the
 * response's fields, all unknown to Empty, are kept verbatim too. The bytes on the wire
 * are exactly those of the real request and response messages.
 *
 * Only for a transport that speaks protobuf binary (the SDK's own transports): in
 * JSON, unknown fields are dropped and the request would arrive empty.
 */
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import type { CallOptions, Transport } from "@connectrpc/connect";
import { ProtoReader } from "./proto-reader.js";
import { ProtoWriter } from "./proto-writer.js";

/** Sends `body` (the request message's bytes) to `method`; resolves with the response message's bytes. */
export type RawCall = (method: DescMethodUnary, body: Uint8Array, options?: CallOptions) => Promise<Uint8Array>;

type UnknownField = { no: number; wireType: number; data: Uint8Array };

/** Raw calls over `transport`, which must speak protobuf binary. */
export function rawCaller(transport: Transport): RawCall {
  const methods = new Map<DescMethodUnary, DescMethodUnary<typeof EmptySchema, typeof EmptySchema>>();
  return async (method, body, options = {}) => {
    let raw = methods.get(method);
    if (raw === undefined) {
      raw = { ...method, input: EmptySchema, output: EmptySchema } as DescMethodUnary<typeof EmptySchema, typeof EmptySchema>;
      methods.set(method, raw);
    }
    const request = create(EmptySchema);
    request.$unknown = fieldsOf(body);
    const response = await transport.unary(raw, options.signal, options.timeoutMs, options.headers, request, options.contextValues);
    return bodyOf(response.message.$unknown ?? []);
  };
}

/** A message's bytes as the unknown fields protobuf-es writes back out: tag, then `data` as is. */
function fieldsOf(body: Uint8Array): UnknownField[] {
  const r = new ProtoReader(body);
  const fields: UnknownField[] = [];
  while (r.more()) {
    const tag = r.tag();
    const start = r.pos;
    r.skip(tag & 7);
    fields.push({ no: tag >>> 3, wireType: tag & 7, data: body.subarray(start, r.pos) });
  }
  return fields;
}

/** The unknown fields protobuf-es kept, joined back into the message's bytes. */
function bodyOf(fields: readonly UnknownField[]): Uint8Array {
  if (fields.length === 0) return new Uint8Array(0);
  const w = new ProtoWriter(fields.reduce((n, f) => n + f.data.length + 5, 0));
  for (const f of fields) w.uint32((f.no << 3) | f.wireType).raw(f.data);
  return w.finish();
}
