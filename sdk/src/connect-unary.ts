/**
 * Unary calls in Connect's protocol (protobuf binary), made straight on the HTTP/2 session
 * that connect-node's Http2SessionManager keeps alive.
 *
 * Why: connect-node's transport costs 300–520 µs of client CPU per call here (interceptor
 * chain, linked AbortControllers and a DOMException per call, web Headers, async-iterable
 * bodies), and a plain HTTP/2 request 125–160 µs, measured on one client making 3,000
 * sequential GetStats calls to one server; the call's wall time fell from 450–770 to
 * 240–300 µs. Every task a worker runs costs a share of a lease and an ack call, and each
 * enqueue is one, so this is most of what a client spends per task.
 *
 * What it keeps of connect: the wire format (request headers, `connect-timeout-ms`,
 * errors as JSON bodies with metadata in headers, `trailer-` headers), the session
 * manager (one connection, reconnects, PING keepalive), and the errors callers see:
 * ConnectError with the server's code and metadata; DEADLINE_EXCEEDED when `timeoutMs`
 * passes; CANCELED when the caller's signal aborts; UNAVAILABLE when the connection is
 * lost, the stream is reset or refused, or no connection can be made (connection-loss.ts
 * gives calls over connect's transports the same codes for the first two).
 */
import * as http2 from "node:http2";
import { type DescMessage, type DescMethodUnary, fromBinary, type MessageInitShape, type MessageShape, toBinary, create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { codeFromHttpStatus, errorFromJsonBytes, trailerDemux } from "@connectrpc/connect/protocol-connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";

const { NGHTTP2_CANCEL } = http2.constants;

/** What every call of one client sends. */
export interface ConnectUnaryOptions {
  baseUrl: string;
  sessionManager: Http2SessionManager;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string | undefined;
}

type Unary = Transport["unary"];

/** The `unary` of a Transport; see the module comment. */
export function connectUnary(options: ConnectUnaryOptions): Unary {
  const prefix = new URL(options.baseUrl).pathname.replace(/\/+$/, "");
  const fixed: http2.OutgoingHttpHeaders = {
    "content-type": "application/proto",
    "connect-protocol-version": "1",
    "user-agent": "gobq-sdk-js",
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
  };
  const sm = options.sessionManager;
  return async function unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: ConstructorParameters<typeof Headers>[0] | undefined,
    input: MessageInitShape<I>,
  ): Promise<UnaryResponse<I, O>> {
    if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
    const headers: http2.OutgoingHttpHeaders = { ...fixed };
    if (header !== undefined) new Headers(header).forEach((value, key) => (headers[key] = value));
    const deadline = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : undefined;
    if (deadline !== undefined) headers["connect-timeout-ms"] = String(deadline);
    const message = isMessage(method.input, input) ? input : create(method.input, input);
    const body = toBinary(method.input, message);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = await sm.request("POST", `${prefix}/${method.parent.typeName}/${method.name}`, headers, {});
    } catch (err) {
      // No connection (refused, reset, a bad certificate: the cause says which): the call
      // was never sent, so trying again is safe, and a worker's acks must not be dropped.
      throw lost(err);
    }
    const { status, raw, bytes } = await exchange(sm, stream, body, signal, deadline);
    if (status !== 200) {
      const head = headersOf(raw);
      const fromStatus = new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), head);
      if (!(head.get("content-type") ?? "").startsWith("application/json")) throw fromStatus;
      const [responseHeader, trailer] = trailerDemux(head);
      const metadata = new Headers(responseHeader);
      trailer.forEach((value, key) => metadata.append(key, value));
      throw errorFromJsonBytes(bytes, metadata, fromStatus);
    }
    const type = raw["content-type"];
    if (type !== "application/proto") {
      throw new ConnectError(`unsupported content type ${type ?? null}`, type === undefined ? Code.Unknown : Code.Internal, headersOf(raw));
    }
    const encoding = raw["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      throw new ConnectError(`unsupported response encoding "${encoding}"`, Code.Internal, headersOf(raw));
    }
    let out: MessageShape<O>;
    try {
      out = fromBinary(method.output, bytes);
    } catch (err) {
      throw new ConnectError(`parse binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
    }
    return answer(method, out, raw);
  };
}

/**
 * A successful call's response. Its web Headers are made only if read: callers of these
 * calls rarely look, and building them cost a tenth of a worker's time per call.
 */
function answer<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  message: MessageShape<O>,
  raw: http2.IncomingHttpHeaders,
): UnaryResponse<I, O> {
  let split: [Headers, Headers] | undefined;
  const parts = () => (split ??= trailerDemux(headersOf(raw)));
  return {
    stream: false,
    service: method.parent,
    method,
    message,
    get header() {
      return parts()[0];
    },
    get trailer() {
      return parts()[1];
    },
  };
}

function isMessage<D extends DescMessage>(desc: D, value: MessageInitShape<D>): value is MessageShape<D> {
  return (value as { $typeName?: string }).$typeName === desc.typeName;
}

/** Sends `body` and collects the whole response, or fails with the code the module comment gives. */
function exchange(
  sm: Http2SessionManager,
  stream: http2.ClientHttp2Stream,
  body: Uint8Array,
  signal: AbortSignal | undefined,
  deadline: number | undefined,
): Promise<{ status: number; raw: http2.IncomingHttpHeaders; bytes: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let raw: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err: ConnectError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err === undefined) return resolve({ status, raw, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
      reject(err);
    };
    const onAbort = (): void => finish(ConnectError.from(signal!.reason, Code.Canceled));
    const timer = deadline === undefined ? undefined : setTimeout(() => finish(new ConnectError("the operation timed out", Code.DeadlineExceeded)), deadline);
    signal?.addEventListener("abort", onAbort);
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      raw = h;
    });
    stream.on("data", (chunk: Buffer) => {
      sm.notifyResponseByteRead(stream);
      chunks.push(chunk);
    });
    stream.on("end", () => finish(status === 0 ? lost(new Error("the stream ended without a response")) : undefined));
    stream.on("error", (err) => finish(lost(err)));
    // A stream reset or refused (the server stopping, the connection gone) closes without
    // "end". Every call closes: the error (two stack traces) is made only if it matters.
    stream.on("close", () => {
      if (!settled) finish(lost(new Error(`stream closed with code ${stream.rstCode}`)));
    });
    stream.end(body);
  });
}

/** The connection was lost or refused, or the server reset the call: worth trying again. */
function lost(err: unknown): ConnectError {
  const cause = err instanceof ConnectError ? err.rawMessage : err instanceof Error ? err.message : String(err);
  return new ConnectError(`the connection to the server was lost: ${cause}`, Code.Unavailable, undefined, undefined, err);
}

function headersOf(h: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [key, value] of Object.entries(h)) {
    if (key.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else out.set(key, String(value));
  }
  return out;
}
