/**
 * Sending bytes as they are, in each protocol the server speaks — gRPC on a raw HTTP/2 stream,
 * gRPC-Web and Connect over HTTP/1.1 — and reading back the status the way that protocol
 * carries it (trailers, a trailer frame, an end-stream frame, or HTTP status and JSON).
 */
import * as http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";

/** A status as any protocol reports it: the gRPC code (0 for OK) and the field the server blamed. */
export interface RawStatus {
  code: Code | 0;
  field: string | undefined;
}

/** The protocols, by how their requests are framed. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** A message frame: flags, the length it declares (default: its own), then `payload`. */
export function frame(payload: Uint8Array, declaredLength = payload.byteLength, flags = 0): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flags;
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

/**
 * One gRPC call on a raw HTTP/2 stream; resolves once the server answers, whether or not the
 * request was ended. `grpc-timeout` bounds bodies that happen to decode into a long-poll.
 */
export function rawGrpc(url: string, path: string, body: Buffer, end = true, headers: http2.OutgoingHttpHeaders = {}): Promise<RawStatus> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", "grpc-timeout": "100m", ...headers });
    let answer: http2.IncomingHttpHeaders = {};
    const done = (trailers: http2.IncomingHttpHeaders) => {
      const all = { ...answer, ...trailers };
      session.destroy();
      resolve({ code: Number(all["grpc-status"]), field: all["gobq-field"] as string | undefined });
    };
    stream.on("response", (h) => {
      answer = h;
      if (h["grpc-status"] !== undefined) done({}); // a trailers-only answer
    });
    stream.on("trailers", done);
    stream.on("error", reject);
    stream.resume();
    if (end) stream.end(body);
    else stream.write(body);
  });
}

/** Sends `payload` as the request message of `method` in `protocol`; `httpUrl` serves HTTP/1.1. */
export async function sendRaw(protocol: Protocol, urls: { url: string; httpUrl: string }, method: DescMethod, payload: Uint8Array): Promise<RawStatus> {
  const path = `/${method.parent.typeName}/${method.name}`;
  if (protocol === "grpc") return rawGrpc(urls.url, path, frame(payload));
  const unary = method.methodKind === "unary";
  const contentType = protocol === "grpc-web" ? "application/grpc-web+proto" : unary ? "application/proto" : "application/connect+proto";
  const res = await fetch(`${urls.httpUrl}${path}`, {
    method: "POST",
    headers: { "content-type": contentType, "connect-timeout-ms": "100", "grpc-timeout": "100m" },
    body: protocol === "connect" && unary ? payload : frame(payload),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  if (protocol === "connect" && unary) {
    const error = res.status === 200 ? undefined : (JSON.parse(Buffer.from(body).toString()) as { code: string });
    return { code: error ? connectCode(error.code) : 0, field: res.headers.get("gobq-field") ?? undefined };
  }
  const last = lastFrame(body);
  if (protocol === "connect") {
    const end = JSON.parse(Buffer.from(last).toString()) as { error?: { code: string }; metadata?: Record<string, string[]> };
    return { code: end.error ? connectCode(end.error.code) : 0, field: end.metadata?.["gobq-field"]?.[0] };
  }
  const trailer = Object.fromEntries(
    Buffer.from(last)
      .toString()
      .split("\r\n")
      .filter(Boolean)
      .map((line) => line.split(/:\s*/, 2) as [string, string]),
  );
  return { code: Number(trailer["grpc-status"]), field: trailer["gobq-field"] };
}

/** The payload of the last frame of a framed body (the status frame). */
function lastFrame(body: Uint8Array): Uint8Array {
  let payload: Uint8Array = new Uint8Array();
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const length = Buffer.from(body.buffer, body.byteOffset + at + 1, 4).readUInt32BE(0);
    payload = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
  }
  return payload;
}

/** A Connect error code string ("invalid_argument") as the Code. */
export function connectCode(s: string): Code {
  const name = s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase());
  return Code[name as keyof typeof Code];
}
