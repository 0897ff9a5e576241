/**
 * A request body that is not valid binary protobuf — garbage bytes, or a Struct nested past
 * protobuf's recursion limit — is the caller's fault, and the same body as JSON already gets
 * INVALID_ARGUMENT; connect-es answers it INTERNAL ("parse binary: …") and offers no hook for
 * that one error (unary calls decode before any interceptor runs). So each handler is wrapped,
 * and that error is rewritten on its way out to the INVALID_ARGUMENT every other bad field
 * gets — with `gobq-field: request`, as the decoder does not say which field it choked on —
 * in the shape its protocol gives it: gRPC trailers, a gRPC-Web trailer frame, a
 * Connect end-stream frame or a Connect unary error body. Decoding fails before any response
 * message exists, so the error is all the response holds. Relies on connect's protocol
 * helpers, some marked internal: connect is pinned to an exact version.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createAsyncIterable, encodeEnvelope, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { setTrailerStatus, trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import {
  codeToHttpStatus,
  endStreamFlag,
  endStreamFromJson,
  endStreamToJson,
  errorFromJsonBytes,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { InvalidArgumentError } from "../task/errors.js";
import { toConnectError } from "./errors.js";

/** How connect words a body it cannot decode — as binary protobuf (INTERNAL), or as JSON (INVALID_ARGUMENT, naming no field) — and the detail worth keeping. */
const DECODE_FAILURES: ReadonlyArray<[Code, RegExp]> = [
  [Code.Internal, /^parse binary: (.*)$/s],
  [Code.InvalidArgument, /^(cannot decode .*)$/s],
];

const GRPC_DECODE_STATUSES = new Set(DECODE_FAILURES.map(([code]) => String(code)));
const UNARY_DECODE_STATUSES = new Set(DECODE_FAILURES.map(([code]) => codeToHttpStatus(code)));

type Fix = (err: ConnectError | undefined) => ConnectError | undefined;

/** Wraps a router's handlers from index `from` on, in place: connect's adapters read `handlers` after the routes ran. */
export function reportDecodeFailuresAsInvalid(handlers: UniversalHandler[], from = 0): void {
  for (let i = from; i < handlers.length; i++) handlers[i] = wrap(handlers[i]!);
}

/**
 * The INVALID_ARGUMENT that replaces `err` when it is connect's failure to decode a request
 * of type `typeName`; undefined for any other error. fast-unary.ts applies it too.
 */
export function decodeFailureAsInvalid(err: ConnectError | undefined, typeName: string): ConnectError | undefined {
  if (!err || err.metadata.has("gobq-reason")) return undefined;
  const detail = DECODE_FAILURES.map(([code, words]) => (err.code === code ? words.exec(err.rawMessage)?.[1] : undefined)).find((d) => d !== undefined);
  if (detail === undefined) return undefined;
  return toConnectError(new InvalidArgumentError("request", `is not a valid ${typeName}: ${detail}`), { error() {} }, typeName);
}

function wrap(handler: UniversalHandler): UniversalHandler {
  const typeName = handler.method.input.typeName;
  const fix: Fix = (err) => decodeFailureAsInvalid(err, typeName);
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => rewrite(await handler(req), fix);
  return Object.assign(wrapped, handler);
}

async function rewrite(res: UniversalServerResponse, fix: Fix): Promise<UniversalServerResponse> {
  if (res.trailer !== undefined) {
    // gRPC: connect awaits the first response bytes before resolving, so a request that
    // failed to decode has its status in the trailers already; success costs one lookup.
    const replaced = GRPC_DECODE_STATUSES.has(res.trailer.get("grpc-status") ?? "") ? fix(findTrailerError(res.trailer)) : undefined;
    if (replaced) setTrailerStatus(res.trailer, replaced);
    return res;
  }
  const type = res.header?.get("content-type") ?? "";
  if (res.body === undefined) return res;
  if (type === "application/json" && UNARY_DECODE_STATUSES.has(res.status)) return fixUnaryError(res, res.body, fix);
  if (type.startsWith("application/grpc-web") || type.startsWith("application/connect+")) return { ...res, body: fixFinalFrame(res.body, type, fix) };
  return res;
}

/** gRPC-Web and Connect streams: the status is the body's last frame. */
async function* fixFinalFrame(body: AsyncIterable<Uint8Array>, type: string, fix: Fix): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    if (type.startsWith("application/grpc-web") && chunk[0] === trailerFlag) {
      const replaced = fix(readable(() => findTrailerError(trailerParse(chunk.subarray(5)))));
      yield replaced ? encodeEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(new Headers(), replaced))) : chunk;
    } else if (type.startsWith("application/connect+") && chunk[0] === endStreamFlag) {
      const replaced = fix(readable(() => endStreamFromJson(chunk.subarray(5)).error));
      const json = replaced && JSON.stringify(endStreamToJson(new Headers(), replaced, undefined));
      yield json ? encodeEnvelope(endStreamFlag, new TextEncoder().encode(json)) : chunk;
    } else {
      yield chunk;
    }
  }
}

/** The error connect wrote, or undefined if it is not one (connect's parsers throw then). */
function readable(read: () => ConnectError | undefined): ConnectError | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Connect unary: the status is the HTTP status and a JSON body; metadata travels as headers. */
async function fixUnaryError(res: UniversalServerResponse, body: AsyncIterable<Uint8Array>, fix: Fix): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const replaced = fix(readable(() => errorFromJsonBytes(bytes, undefined, new ConnectError("unreadable", Code.Unknown))));
  if (replaced === undefined) return { ...res, body: createAsyncIterable([bytes]) };
  const header = new Headers(res.header);
  replaced.metadata.forEach((value, key) => header.set(key, value));
  const out = errorToJsonBytes(replaced, undefined);
  header.set("content-length", String(out.byteLength));
  return { ...res, status: codeToHttpStatus(replaced.code), header, body: createAsyncIterable([out]) };
}
