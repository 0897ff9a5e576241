/**
 * With bearer tokens, the fast path runs the auth interceptor exactly as connect does, before
 * the handler: the same UNAUTHENTICATED and PERMISSION_DENIED answers, byte for byte, from a
 * server with the fast path and one without it, on raw HTTP/2 and through the SDK.
 */
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { TaskClient, reasonOf } from "@gobq/sdk";
import { HealthCheckRequestSchema } from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";
import { GetTaskRequestSchema } from "@gobq/sdk/gen/task_service_pb.js";
import { LeaseTasksRequestSchema } from "@gobq/sdk/gen/worker_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth, tokenDigest } from "../../src/server/auth.js";
import { rawCall, type RawRequest, type ServerPair, startServerPair } from "./server-pair.js";

const TOKENS = { producer: "producer-token-5e1f0c2a9b7d4e33", worker: "worker-token-0a9b8c7d6e5f4a3b" };

let pair: ServerPair;
let sessions: { fast: http2.ClientHttp2Session; plain: http2.ClientHttp2Session };

beforeAll(async () => {
  const auth = createAuth({
    tokens: [
      { sha256: tokenDigest(TOKENS.producer), role: "producer" },
      { sha256: tokenDigest(TOKENS.worker), role: "worker" },
    ],
  });
  pair = await startServerPair({ auth });
  sessions = { fast: http2.connect(pair.fast.url), plain: http2.connect(pair.plain.url) };
});

afterAll(async () => {
  for (const s of Object.values(sessions ?? {})) s.close();
  await pair?.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get: RawRequest = { path: "/gobq.v1.TaskService/GetTask", body: toBinary(GetTaskRequestSchema, create(GetTaskRequestSchema, { id: "01890000-0000-7000-8000-000000000000" })) };
const lease: RawRequest = { path: "/gobq.v1.WorkerService/LeaseTasks", body: toBinary(LeaseTasksRequestSchema, create(LeaseTasksRequestSchema, { category: "auth", workerId: "w" })) };
const health: RawRequest = { path: "/grpc.health.v1.Health/Check", body: toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema)) };

describe("auth on the fast path", () => {
  it.each([
    ["no token: UNAUTHENTICATED", get, 401, "UNAUTHENTICATED"],
    ["an unknown token: UNAUTHENTICATED", { ...get, headers: bearer("not-a-known-token") }, 401, "UNAUTHENTICATED"],
    ["a producer leasing: PERMISSION_DENIED", { ...lease, headers: bearer(TOKENS.producer) }, 403, "PERMISSION_DENIED"],
    ["a producer's get of an unknown task: past the check, NOT_FOUND", { ...get, headers: bearer(TOKENS.producer) }, 404, "TASK_NOT_FOUND"],
    ["health without a token: open", health, 200, undefined],
  ] as const)("%s, alike", async (_, req, status, reason) => {
    const [a, b] = [await rawCall(sessions.fast, req), await rawCall(sessions.plain, req)];
    expect(a.status).toBe(status);
    expect(a.headers["gobq-reason"]).toBe(reason);
    expect(a).toEqual(b);
  });

  it("through the SDK: a worker's token may not read tasks, on either server", async () => {
    const failure = async (baseUrl: string) => {
      const err = await new TaskClient({ baseUrl, token: TOKENS.worker }).get("01890000-0000-7000-8000-000000000000").catch((e: unknown) => e);
      if (!(err instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(err)}`);
      return { code: err.code, message: err.rawMessage, reason: reasonOf(err) };
    };
    const [a, b] = [await failure(pair.fast.url), await failure(pair.plain.url)];
    expect(a.reason).toBe("PERMISSION_DENIED");
    expect(a).toEqual(b);
  });
});
