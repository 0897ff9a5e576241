import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { GetStatsResponseSchema, TaskService } from "./gen/gobq/v1/task_service_pb.js";
import { connectUnary } from "./connect-unary.js";

const servers: http2.Http2Server[] = [];
const managers: Http2SessionManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) m.abort();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** A server that answers every stream with `handler`, and a client of it. */
async function clientOf(handler: Handler) {
  const server = http2.createServer();
  // Resets and aborted sessions are what some tests are about: the server side ignores them.
  server.on("session", (session) => session.on("error", () => {}));
  server.on("stream", (stream, headers) => stream.on("error", () => {}).on("data", () => {}).on("end", () => handler(stream, headers)));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  managers.push(sessionManager);
  const unary = connectUnary({ baseUrl, sessionManager, token: "t0k" });
  return (options: { signal?: AbortSignal; timeoutMs?: number } = {}) =>
    unary(TaskService.method.getStats, options.signal, options.timeoutMs, undefined, {});
}

const failure = (p: Promise<unknown>) => p.then(() => expect.fail("expected the call to fail"), (e: unknown) => ConnectError.from(e));

describe("Connect unary calls on the HTTP/2 session", () => {
  it("sends Connect's request headers and reads the message, headers and trailers", async () => {
    let seen: http2.IncomingHttpHeaders = {};
    const call = await clientOf((stream, headers) => {
      seen = headers;
      stream.respond({ ":status": 200, "content-type": "application/proto", "x-h": "1", "trailer-x-t": "2" });
      stream.end(toBinary(GetStatsResponseSchema, create(GetStatsResponseSchema, { total: 7n })));
    });
    const res = await call({ timeoutMs: 5000 });
    expect(seen).toMatchObject({
      ":method": "POST",
      ":path": "/gobq.v1.TaskService/GetStats",
      "content-type": "application/proto",
      "connect-protocol-version": "1",
      "connect-timeout-ms": "5000",
      authorization: "Bearer t0k",
    });
    expect(res.message.total).toBe(7n);
    expect(res.header.get("x-h")).toBe("1");
    expect(res.trailer.get("x-t")).toBe("2");
  });

  it("gives the server's error code, message and metadata", async () => {
    const call = await clientOf((stream) => {
      stream.respond({ ":status": 400, "content-type": "application/json", "gobq-field": "name" });
      stream.end(JSON.stringify({ code: "invalid_argument", message: "name: is required" }));
    });
    const err = await failure(call());
    expect(err).toMatchObject({ code: Code.InvalidArgument, rawMessage: "name: is required" });
    expect(err.metadata.get("gobq-field")).toBe("name");
  });

  it("takes the code from the HTTP status when the body is not a Connect error", async () => {
    const call = await clientOf((stream) => {
      stream.respond({ ":status": 503, "content-type": "text/plain" });
      stream.end("busy");
    });
    expect((await failure(call())).code).toBe(Code.Unavailable);
  });

  it("fails DEADLINE_EXCEEDED when the timeout passes, and cancels the stream", async () => {
    let closed!: () => void;
    const cancelled = new Promise<void>((resolve) => (closed = resolve));
    const call = await clientOf((stream) => stream.on("close", closed)); // never answers
    expect((await failure(call({ timeoutMs: 50 }))).code).toBe(Code.DeadlineExceeded);
    await cancelled;
  });

  it("fails CANCELED when the caller aborts", async () => {
    const call = await clientOf(() => {});
    const stop = new AbortController();
    const pending = failure(call({ signal: stop.signal }));
    setTimeout(() => stop.abort(), 20);
    expect((await pending).code).toBe(Code.Canceled);
  });

  it("fails UNAVAILABLE when the server resets the call or cannot be reached", async () => {
    const reset = await clientOf((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    expect((await failure(reset())).code).toBe(Code.Unavailable);
    const sessionManager = new Http2SessionManager("http://127.0.0.1:1");
    managers.push(sessionManager);
    const away = connectUnary({ baseUrl: "http://127.0.0.1:1", sessionManager });
    expect((await failure(away(TaskService.method.getStats, undefined, undefined, undefined, {}))).code).toBe(Code.Unavailable);
  });
});
