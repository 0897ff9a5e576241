/**
 * Bearer tokens and roles, over every transport the routes are mounted on: the in-memory one
 * (tests, embedded mode), gRPC on the real server's HTTP/2 port, and gRPC-Web and Connect on
 * its HTTP/1.1 port. For every RPC of both services: no token or an unknown one → UNAUTHENTICATED; each
 * role can make exactly the calls its table row allows and gets PERMISSION_DENIED for the
 * rest. The table is written out here, not read from the server's policy, so that a change
 * of policy has to change this test too.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createAuth, tokenDigest } from "../../src/server/auth.js";
import { createRoutes } from "../../src/server/routes.js";
import { createMemoryStore } from "../../src/store/memory/index.js";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";

const TOKENS = {
  producer: "producer-token-3f9a1c77d2e84b6a",
  worker: "worker-token-8b2e44f0a9c1d3e5",
  admin: "admin-token-c0ffee00d15ea5e5",
};
type Role = keyof typeof TOKENS;
const ROLES = Object.keys(TOKENS) as Role[];

/** As the server holds them: digests only (the token file's format is tested in tokens-file.test.ts). */
const ENTRIES = [
  { sha256: tokenDigest(TOKENS.producer), role: "producer" as const },
  { sha256: tokenDigest(TOKENS.worker), role: "worker" as const },
  { sha256: tokenDigest(TOKENS.admin), role: "admin" as const, name: "ops" },
];

/** Who may call each RPC. */
const ALLOWED: Record<string, Role[]> = {
  "gobq.v1.TaskService/EnqueueTask": ["producer", "admin"],
  "gobq.v1.TaskService/EnqueueTasks": ["producer", "admin"],
  "gobq.v1.TaskService/GetTask": ["producer", "admin"],
  "gobq.v1.TaskService/ListTasks": ["producer", "admin"],
  "gobq.v1.TaskService/CancelTask": ["producer", "admin"],
  "gobq.v1.TaskService/RetryTask": ["producer", "admin"],
  "gobq.v1.TaskService/GetStats": ["producer", "admin"],
  "gobq.v1.TaskService/WatchTask": ["producer", "admin"],
  "gobq.v1.TaskService/WatchTasks": ["producer", "admin"],
  "gobq.v1.TaskService/PurgeTasks": ["admin"],
  "gobq.v1.TaskService/PauseCategory": ["admin"],
  "gobq.v1.TaskService/ResumeCategory": ["admin"],
  "gobq.v1.TaskService/SetCategoryLimits": ["admin"],
  "gobq.v1.WorkerService/LeaseTasks": ["worker", "admin"],
  "gobq.v1.WorkerService/HeartbeatTask": ["worker", "admin"],
  "gobq.v1.WorkerService/CompleteTask": ["worker", "admin"],
  "gobq.v1.WorkerService/FailTask": ["worker", "admin"],
  "gobq.v1.WorkerService/CompleteTasks": ["worker", "admin"],
  "gobq.v1.WorkerService/FailTasks": ["worker", "admin"],
};

const METHODS: DescMethod[] = [...TaskService.methods, ...WorkerService.methods];
const procedure = (m: DescMethod) => `${m.parent.typeName}/${m.name}`;

/** A long-poll or an endless stream that is let through runs into this deadline: proof it got past the check. */
const PASSED_CHECK_MS = 300;

/** The code a call ends with, or "ok"; an empty request is enough, the check comes before any validation. */
async function callWith(transport: Transport, method: DescMethod, token: string | undefined): Promise<Code | "ok"> {
  // A dynamic call by method name: the generated client is typed per method, this loop is not.
  const client = createClient(method.parent as DescService, transport) as unknown as Record<string, (req: object, opts: object) => unknown>;
  const opts = { timeoutMs: PASSED_CHECK_MS, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } };
  try {
    const result = client[method.localName]!({}, opts);
    if (method.methodKind === "server_streaming") for await (const _ of result as AsyncIterable<unknown>);
    else await result;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

interface Setup {
  transport: Transport;
  refusals: object[];
  stop(): Promise<void>;
}

async function inMemory(): Promise<Setup> {
  const scheduler = await Scheduler.open({ store: createMemoryStore() });
  const refusals: object[] = [];
  const auth = createAuth({ tokens: ENTRIES, log: { warn: (obj) => refusals.push(obj) } });
  const transport = createRouterTransport(createRoutes({ scheduler, auth }));
  return { transport, refusals, stop: () => scheduler.stop() };
}

async function network(kind: "grpc" | "grpc-web" | "connect"): Promise<Setup> {
  const refusals: object[] = [];
  const server: InProcessServer = await startInProcessServer({
    auth: createAuth({ tokens: ENTRIES, log: { warn: (obj) => refusals.push(obj) } }),
  });
  const transport =
    kind === "grpc"
      ? createGrpcTransport({ baseUrl: server.url })
      : kind === "grpc-web"
        ? createGrpcWebTransport({ baseUrl: server.httpUrl, httpVersion: "1.1" })
        : createConnectTransport({ baseUrl: server.httpUrl, httpVersion: "1.1" });
  return { transport, refusals, stop: () => server.stop() };
}

it("the table names every RPC of both services", () => {
  expect(METHODS.map(procedure).sort()).toEqual(Object.keys(ALLOWED).sort());
});

describe.each([
  ["the in-memory transport", inMemory],
  ["gRPC on the HTTP/2 port", () => network("grpc")],
  ["gRPC-Web on the HTTP/1.1 port", () => network("grpc-web")],
  ["Connect on the HTTP/1.1 port", () => network("connect")],
])("over %s", (_name, setUp) => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp();
  });
  afterAll(async () => {
    await setup?.stop();
  });

  it.each(METHODS.map((m) => [procedure(m), m] as const))("%s: no token or an unknown one → UNAUTHENTICATED", async (_p, method) => {
    expect(await callWith(setup.transport, method, undefined)).toBe(Code.Unauthenticated);
    expect(await callWith(setup.transport, method, "not-a-token-anyone-was-given")).toBe(Code.Unauthenticated);
  });

  it.each(METHODS.map((m) => [procedure(m), m] as const))("%s: allowed roles pass, the others get PERMISSION_DENIED", async (p, method) => {
    const outcome: Record<string, string> = {};
    for (const role of ROLES) {
      const code = await callWith(setup.transport, method, TOKENS[role]);
      outcome[role] = code === Code.PermissionDenied ? "denied" : code === Code.Unauthenticated ? "unauthenticated" : "passed";
    }
    const expected = Object.fromEntries(ROLES.map((r) => [r, ALLOWED[p]!.includes(r) ? "passed" : "denied"]));
    expect(outcome).toEqual(expected);
  });

  it("health answers without a token", async () => {
    const health = createClient(Health, setup.transport);
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("refused calls are logged by procedure and reason, and never with the token", () => {
    expect(setup.refusals).toContainEqual(expect.objectContaining({ procedure: "gobq.v1.TaskService/PurgeTasks", reason: "PERMISSION_DENIED" }));
    expect(setup.refusals).toContainEqual(expect.objectContaining({ procedure: "gobq.v1.WorkerService/LeaseTasks", reason: "UNAUTHENTICATED" }));
    const text = JSON.stringify(setup.refusals);
    for (const token of [...Object.values(TOKENS), "not-a-token-anyone-was-given"]) expect(text).not.toContain(token);
  });
});

describe("a refused call changes nothing", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer({ auth: createAuth({ tokens: ENTRIES }) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const clientsFor = (token: string) => {
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))] });
    return { tasks: createClient(TaskService, transport), workers: createClient(WorkerService, transport) };
  };

  it("a worker cannot enqueue, a producer cannot purge or lease", async () => {
    const admin = clientsFor(TOKENS.admin);
    const producer = clientsFor(TOKENS.producer);
    const worker = clientsFor(TOKENS.worker);
    const { task } = await admin.tasks.enqueueTask({ name: "kept", category: "security" });
    await admin.tasks.cancelTask({ id: task!.id });

    await expect(worker.tasks.enqueueTask({ name: "sneaky", category: "security" })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(producer.tasks.purgeTasks({ olderThan: durationFromMs(0) })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await admin.tasks.enqueueTask({ name: "queued", category: "security" });
    await expect(producer.workers.leaseTasks({ category: "security", workerId: "p", maxTasks: 1 })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    });

    const stats = await admin.tasks.getStats({});
    expect(stats.total).toBe(2n); // the cancelled one, not purged; the queued one, not leased; no "sneaky"
    expect(stats.queued).toBe(1n);
    expect(await admin.tasks.purgeTasks({ olderThan: durationFromMs(0) })).toMatchObject({ deleted: 1n });
  });

  it("reads the Bearer scheme case-insensitively and refuses any other", async () => {
    const stats = (authorization: string) =>
      createClient(TaskService, createGrpcTransport({ baseUrl: server.url }))
        .getStats({}, { headers: { authorization } })
        .then(() => "ok", (e: unknown) => ConnectError.from(e).code);
    expect(await stats(`bearer ${TOKENS.admin}`)).toBe("ok");
    expect(await stats(`Basic ${Buffer.from(`admin:${TOKENS.admin}`).toString("base64")}`)).toBe(Code.Unauthenticated);
    expect(await stats(`Bearer ${TOKENS.admin} extra`)).toBe(Code.Unauthenticated);
  });

  it("PERMISSION_DENIED says which role may not call what, and carries the stable reason", async () => {
    const err = await clientsFor(TOKENS.worker)
      .tasks.getStats({})
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).rawMessage).toBe("role worker may not call gobq.v1.TaskService/GetStats");
    expect((err as ConnectError).metadata.get("gobq-reason")).toBe("PERMISSION_DENIED");
  });
});
