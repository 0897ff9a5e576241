/**
 * Which calls the fast path serves — Connect unary calls in protobuf binary, uncompressed, on
 * HTTP/2 or HTTP/1.1 — and that everything else still reaches connect-node; and that
 * interceptors registered with a method run around it in connect's order, their response
 * headers and the handler's trailers (as `trailer-` headers) reaching the client as connect
 * sends them. One method, Health/Check, is registered with a handler that notes whether it
 * got the fast path's context.
 */
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema, HealthCheckResponse_ServingStatus } from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { UnaryCall } from "../../src/server/unary-call.js";
import { rawCall, type RawRequest } from "./server-pair.js";

const PATH = "/grpc.health.v1.Health/Check";
const BODY = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "x" }));

/** "fast" or "connect", per call, in order. */
const served: string[] = [];
/** The order interceptors and handler ran in, per call. */
const steps: string[] = [];

const note =
  (name: string): Interceptor =>
  (next) =>
  async (req) => {
    steps.push(`${name} in`);
    const res = await next(req);
    res.header.set(`x-${name}`, "seen");
    steps.push(`${name} out`);
    return res;
  };

function routes(router: ConnectRouter): void {
  router.rpc(
    Health.method.check,
    (req, ctx) => {
      served.push(ctx instanceof UnaryCall ? "fast" : "connect");
      steps.push("handler");
      ctx.responseTrailer.set("x-done", req.service);
      return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
    },
    { interceptors: [note("outer"), note("inner")] },
  );
}

let servers: RunningServer[] = [];

beforeAll(async () => {
  const start = (fastUnary: boolean) =>
    startServer({ routes, listen: { host: "127.0.0.1", port: 0 }, httpListen: { host: "127.0.0.1", port: 0 }, maxMessageBytes: 1 << 20, fastUnary });
  servers = [await start(true), await start(false)];
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close(1_000)));
});

/** One call on a fresh HTTP/2 session; what served it, and the answer. */
async function h2(server: RunningServer, req: Partial<RawRequest> & { headers?: http2.OutgoingHttpHeaders }) {
  const session = http2.connect(server.url);
  try {
    const answer = await rawCall(session, { path: PATH, body: BODY, ...req });
    return { served: served.splice(0), answer };
  } finally {
    session.close();
  }
}

describe("what the fast path serves", () => {
  it.each([
    ["Connect binary on HTTP/2", {}, "fast"],
    ["Connect binary, content-encoding identity", { headers: { "content-encoding": "identity" } }, "fast"],
    ["Connect JSON", { headers: { "content-type": "application/json" }, body: Buffer.from('{"service":"x"}') }, "connect"],
    ["Connect binary, gzip-compressed", { headers: { "content-encoding": "gzip" }, body: Buffer.from([]) }, "connect"],
    ["Connect binary with a query string", { path: `${PATH}?x=1` }, "connect"],
    ["gRPC", { headers: { "content-type": "application/grpc", te: "trailers" }, body: Buffer.concat([Buffer.from([0, 0, 0, 0, BODY.byteLength]), BODY]) }, "connect"],
  ] as const)("%s: %s", async (_, req, expected) => {
    const { served: fast } = await h2(servers[0]!, req);
    const { served: plain } = await h2(servers[1]!, req);
    expect(plain).toEqual(["connect"]);
    expect(fast).toEqual([expected]);
  });

  it("Connect binary on HTTP/1.1", async () => {
    const res = await fetch(`${servers[0]!.httpUrl}${PATH}`, { method: "POST", headers: { "content-type": "application/proto" }, body: BODY });
    expect(res.status).toBe(200);
    expect(served.splice(0)).toEqual(["fast"]);
  });

  it("runs the interceptors around the handler in connect's order, and sends their headers and the trailers alike", async () => {
    steps.splice(0);
    const fast = await h2(servers[0]!, {});
    const fastSteps = steps.splice(0);
    const plain = await h2(servers[1]!, {});
    expect(fastSteps).toEqual(["outer in", "inner in", "handler", "inner out", "outer out"]);
    expect(steps.splice(0)).toEqual(fastSteps);
    expect(fast.answer.headers).toMatchObject({ "x-outer": "seen", "x-inner": "seen", "trailer-x-done": "x" });
    expect(fast.answer).toEqual(plain.answer);
  });
});
