/**
 * Connect-protocol unary calls in protobuf binary — POST, content-type application/proto,
 * no compression, HTTP/1.1 or HTTP/2 — to a unary method of the routes, served straight from
 * node's request and response. Everything else (gRPC, gRPC-Web, JSON, GET, compressed
 * bodies, streams, unknown paths) goes to connect-node's adapter as before.
 *
 * Why: through connect-node such a call cost the server ~450 µs of CPU, of which our handlers
 * were ~40 µs; the rest was per-call machinery (web Headers, linked AbortControllers, a
 * DOMException at the end of every call, async-iterable bodies, protocol negotiation). The
 * SDK makes all its unary calls this way (bench/profile-notes.md has the profiles).
 *
 * What a client sees is connect's response, byte for byte: the same implementations and
 * interceptors (unary-registry.ts), connect's own serialization, limits, timeout parsing,
 * error JSON and status mapping, and the rewrite of undecodable bodies to INVALID_ARGUMENT
 * that decode-failures.ts applies to every gobq route. test/fast-unary/ compares the two
 * servers. Relies on connect's protocol helpers, some marked internal: connect is pinned to
 * an exact version.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { create, type JsonReadOptions, type JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { readAllBytes } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, contentTypeUnaryJson, contentTypeUnaryProto, errorToJsonBytes, parseTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { decodeFailureAsInvalid } from "./decode-failures.js";
import { bodyChunks } from "./request-body.js";
import { CALL_ENDED, contextFor, type NodeRequest, type NodeResponse, UnaryCall } from "./unary-call.js";
import type { UnaryRegistry, UnaryRoute } from "./unary-registry.js";

/** A request listener for `http.createServer` / `http2.createServer`. */
export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** Options of `createFastUnaryHandler`. */
export interface FastUnaryOptions {
  registry: UnaryRegistry;
  /** The server's limit on a request message, as given to connect. */
  readMaxBytes: number;
  /** The JSON options given to connect: they write an error's details. */
  jsonOptions: Partial<JsonReadOptions & JsonWriteOptions> | undefined;
  /** Serves what this path does not: connect-node's adapter. */
  fallback: NodeHandler;
}

type UnaryNext = (req: UnaryRequest) => Promise<UnaryResponse>;

/** A request listener serving Connect binary unary calls itself and the rest through `fallback`. */
export function createFastUnaryHandler(options: FastUnaryOptions): NodeHandler {
  const { registry, fallback } = options;
  return (req, res) => {
    const headers = req.headers;
    const encoding = headers["content-encoding"];
    const route =
      req.method === "POST" && headers["content-type"] === contentTypeUnaryProto && (encoding === undefined || encoding === "identity")
        ? registry.lookup(req.url ?? "")
        : undefined;
    // connect-node fails a request without an authority its own way: leave that to it.
    const authority = "authority" in req ? req.authority : headers.host;
    if (route === undefined || authority === undefined) return fallback(req, res);
    serve(route, req, res, authority, options).catch((err: unknown) => {
      console.error(`handler for rpc ${route.method.name} of ${route.method.parent.typeName} failed`, err);
    });
  };
}

/** As connect's unary handler: read, decode, run the interceptors and the implementation, answer. */
async function serve(route: UnaryRoute, req: NodeRequest, res: NodeResponse, authority: string, options: FastUnaryOptions): Promise<void> {
  const timeoutHeader = req.headers["connect-timeout-ms"];
  const timeout = parseTimeout(typeof timeoutHeader === "string" ? timeoutHeader : null, Number.MAX_SAFE_INTEGER);
  const call = new UnaryCall(route, req, res, authority, timeout.timeoutMs);
  let status = 200;
  let body: Uint8Array;
  try {
    if (timeout.error) throw timeout.error;
    // Refuses a declared length over the limit before reading, and stops reading past it.
    const bytes = await readAllBytes(bodyChunks(req), options.readMaxBytes, req.headers["content-length"]);
    body = await invoke(route, call, bytes);
  } catch (e) {
    call.end(e);
    const error = connectErrorOf(e, route, call);
    status = codeToHttpStatus(error.code);
    body = errorToJsonBytes(error, options.jsonOptions);
  } finally {
    call.end(CALL_ENDED);
  }
  if (call.gone) return;
  const header: OutgoingHttpHeaders =
    status === 200 && !call.headersTouched()
      ? { "content-length": String(body.byteLength), "content-type": contentTypeUnaryProto }
      : nodeHeaders(call, body.byteLength);
  try {
    (res as { writeHead(status: number, headers: OutgoingHttpHeaders): unknown }).writeHead(status, header);
    res.end(body);
  } catch {
    // The stream closed between the check and the write: the client left, as connect-node ignores too.
  }
}

/** Decodes the body, runs the interceptors around the implementation, encodes the response. */
async function invoke(route: UnaryRoute, call: UnaryCall, bytes: Uint8Array): Promise<Uint8Array> {
  call.message = route.serialization.getI(true).parse(bytes);
  // Bound, not a closure: the dev build names every closure with a defineProperty, per call.
  let next = implementation.bind(undefined, route, call) as UnaryNext;
  for (let i = route.interceptors.length - 1; i >= 0; i--) next = route.interceptors[i]!(next as never) as UnaryNext;
  const out = await next(call as UnaryRequest);
  if (out !== call.response) {
    // An interceptor answered with headers of its own: connect copies them over the context's.
    copyHeaders(out.header, call.responseHeader);
    copyHeaders(out.trailer, call.responseTrailer);
  }
  return route.serialization.getO(true).serialize(out.message);
}

/** The innermost step: the implementation, given the request the interceptors passed on. */
async function implementation(route: UnaryRoute, call: UnaryCall, req: UnaryRequest): Promise<UnaryResponse> {
  const message = create(route.method.output, (await route.impl(req.message, contextFor(call, req))) as never);
  call.response = new CallResponse(call, message);
  return call.response;
}

/** The implementation's answer; its headers are the call's, made only if someone reads them. */
class CallResponse implements UnaryResponse {
  readonly stream = false;
  readonly method: UnaryResponse["method"];
  readonly service: UnaryResponse["service"];

  constructor(
    private readonly call: UnaryCall,
    readonly message: UnaryResponse["message"],
  ) {
    this.method = call.method;
    this.service = call.service;
  }

  get header(): Headers {
    return this.call.responseHeader;
  }

  get trailer(): Headers {
    return this.call.responseTrailer;
  }
}

/** The error to answer with, its metadata set on the response headers as connect sets it. */
function connectErrorOf(e: unknown, route: UnaryRoute, call: UnaryCall): ConnectError {
  let error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
  const header = call.responseHeader;
  header.set("content-type", contentTypeUnaryJson);
  error.metadata.forEach((value, key) => header.set(key, value));
  const replaced = decodeFailureAsInvalid(error, route.requestTypeName);
  if (replaced !== undefined) {
    replaced.metadata.forEach((value, key) => header.set(key, value));
    error = replaced;
  }
  return error;
}

/** Response headers, trailers as `trailer-` headers, and the length, as connect-node writes them. */
function nodeHeaders(call: UnaryCall, length: number): OutgoingHttpHeaders {
  const muxed = trailerMux(call.responseHeader, call.responseTrailer);
  muxed.set("content-length", String(length));
  const out: OutgoingHttpHeaders = {};
  muxed.forEach((value, key) => {
    const known = out[key];
    out[key] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [String(known), value];
  });
  return out;
}

function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => to.set(key, value));
}
