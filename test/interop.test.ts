/**
 * Interop: the real server on real sockets, driven by the clients a polyglot user reaches
 * for — grpc-js with the repository's .proto files (no generated code), plain `fetch`
 * speaking the Connect protocol's JSON over HTTP/1.1, and Connect's own gRPC client — and
 * mixed: a long-poll from one client is answered by an enqueue from another.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { type InProcessServer, startInProcessServer } from "./support/in-process-server.js";

const PROTO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "proto");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Every grpc-js call gets this deadline, so that a hang fails the test instead of stalling it. */
const CALL_DEADLINE_MS = 5_000;

// ---- grpc-js, as a user without generated code has it ---------------------------------

/**
 * The .proto files as grpc-js sees them. Field names become lowerCamelCase (keepCase would
 * leave ours snake_case while protobufjs's bundled well-known types stay camelCase); int64
 * arrives as a string and enums as their names; a set oneof member is named by `kind`.
 */
const packageDefinition = protoLoader.loadSync(
  ["gobq/v1/task_service.proto", "gobq/v1/worker_service.proto", "grpc/health/v1/health.proto"],
  { includeDirs: [PROTO_DIR], longs: String, enums: String, defaults: true, oneofs: true },
);
// loadPackageDefinition is untyped by nature: the services are known only at run time.
const loaded = grpc.loadPackageDefinition(packageDefinition) as any;
const TaskServiceClient: grpc.ServiceClientConstructor = loaded.gobq.v1.TaskService;
const WorkerServiceClient: grpc.ServiceClientConstructor = loaded.gobq.v1.WorkerService;
const HealthClient: grpc.ServiceClientConstructor = loaded.grpc.health.v1.Health;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** google.protobuf.Value as grpc-js reads and writes it. */
interface GValue {
  kind?: string;
  nullValue?: string;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields: Record<string, GValue> };
  listValue?: { values: GValue[] };
}

/** The gobq.v1.Task fields these tests read, as grpc-js gives them. */
interface GTask {
  id: string;
  name: string;
  category: string;
  priority: string;
  status: string;
  args: { values: GValue[] };
  kwargs: { fields: Record<string, GValue> };
  result: GValue | null;
  progress: number;
  progressMessage: string;
  attempt: number;
  lease: { workerId: string } | null;
  completedAt: { seconds: string; nanos: number } | null;
  seq: string;
}

/** TaskService.WatchTask as grpc-js exposes it: a readable stream of WatchTaskResponse. */
type WatchTaskMethod = (
  request: { id: string },
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<{ event: { seq: string; task: GTask } }>;

interface GLeased {
  task: GTask;
  leaseToken: string;
}

function toValue(j: Json): GValue {
  if (j === null) return { nullValue: "NULL_VALUE" };
  if (typeof j === "number") return { numberValue: j };
  if (typeof j === "string") return { stringValue: j };
  if (typeof j === "boolean") return { boolValue: j };
  if (Array.isArray(j)) return { listValue: { values: j.map(toValue) } };
  return { structValue: toStruct(j) };
}

function toStruct(o: { [key: string]: Json }): { fields: Record<string, GValue> } {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])) };
}

function fromValue(v: GValue): Json {
  switch (v.kind) {
    case "nullValue":
      return null;
    case "numberValue":
      return v.numberValue!;
    case "stringValue":
      return v.stringValue!;
    case "boolValue":
      return v.boolValue!;
    case "listValue":
      return v.listValue!.values.map(fromValue);
    case "structValue":
      return fromStruct(v.structValue!);
    default:
      throw new Error(`google.protobuf.Value without a kind: ${JSON.stringify(v)}`);
  }
}

function fromStruct(s: { fields: Record<string, GValue> }): Json {
  return Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, fromValue(v)]));
}

/** Calls a unary method the way grpc-js users do, as a promise. */
function unary<T>(client: grpc.Client, method: string, request: object): Promise<T> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
  return new Promise((resolve, reject) => {
    fn.call(client, request, { deadline: Date.now() + CALL_DEADLINE_MS }, (err: grpc.ServiceError | null, res?: T) =>
      err ? reject(err) : resolve(res!),
    );
  });
}

/** The error a call fails with; fails the test if the call succeeds. */
async function grpcError(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("expected the call to fail");
}

/** The first value of a metadata key, as a string. */
function meta(err: grpc.ServiceError, key: string): string | undefined {
  const v = err.metadata.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/** Everything a test needs, torn down after it whether it passed or not. */
interface Harness {
  server: InProcessServer;
  tasks: grpc.Client;
  workers: grpc.Client;
  health: grpc.Client;
}

let h: Harness | undefined;

beforeEach(async () => {
  const server = await startInProcessServer();
  const target = new URL(server.url).host;
  const creds = grpc.credentials.createInsecure();
  h = {
    server,
    tasks: new TaskServiceClient(target, creds),
    workers: new WorkerServiceClient(target, creds),
    health: new HealthClient(target, creds),
  };
});

afterEach(async () => {
  const current = h;
  h = undefined;
  if (!current) return;
  current.tasks.close();
  current.workers.close();
  current.health.close();
  await current.server.stop();
  // A handler error the mapping did not expect would reach the caller only as INTERNAL.
  expect(current.server.logged).toEqual([]);
});

function harness(): Harness {
  if (!h) throw new Error("the server did not start");
  return h;
}

async function enqueueGrpc(request: object): Promise<GTask> {
  const res = await unary<{ task: GTask }>(harness().tasks, "EnqueueTask", request);
  return res.task;
}

async function leaseGrpc(category: string, workerId: string): Promise<GLeased> {
  const res = await unary<{ tasks: GLeased[] }>(harness().workers, "LeaseTasks", {
    category,
    workerId,
    maxTasks: 1,
    wait: { seconds: 2 },
  });
  expect(res.tasks).toHaveLength(1);
  return res.tasks[0]!;
}

async function getGrpc(id: string): Promise<GTask> {
  return (await unary<{ task: GTask }>(harness().tasks, "GetTask", { id })).task;
}

describe("grpc-js with the repository's .proto files", { timeout: 5_000 }, () => {
  it("runs a task through enqueue, lease, heartbeat and complete, with JSON args, kwargs and result", async () => {
    const { workers } = harness();
    const enqueued = await enqueueGrpc({
      name: "resize",
      category: "images",
      priority: "TASK_PRIORITY_HIGH",
      args: { values: [1, "a", null, [true, 2.5]].map((j) => toValue(j as Json)) },
      kwargs: toStruct({ w: 100, opts: { crop: true, tags: ["x"] } }),
      maxRetries: 2,
    });
    expect(enqueued).toMatchObject({ name: "resize", category: "images", priority: "TASK_PRIORITY_HIGH", status: "TASK_STATUS_PENDING" });
    expect(enqueued.id).toMatch(UUID);
    expect(enqueued.seq).toBe("1");
    expect(enqueued.args.values.map(fromValue)).toEqual([1, "a", null, [true, 2.5]]);
    expect(fromStruct(enqueued.kwargs)).toEqual({ w: 100, opts: { crop: true, tags: ["x"] } });

    const leased = await leaseGrpc("images", "worker-py");
    expect(leased.task).toMatchObject({ id: enqueued.id, status: "TASK_STATUS_STARTED", attempt: 1, lease: { workerId: "worker-py" } });
    expect(leased.leaseToken).not.toBe("");
    expect(leased.task.args.values.map(fromValue)).toEqual([1, "a", null, [true, 2.5]]);

    const before = Date.now();
    const beat = await unary<{ leaseExpiresAt: { seconds: string }; cancelRequested: boolean }>(workers, "HeartbeatTask", {
      taskId: enqueued.id,
      leaseToken: leased.leaseToken,
      progress: 40,
      progressMessage: "thumbnails",
      extendBy: { seconds: 120 },
    });
    expect(beat.cancelRequested).toBe(false);
    const expiresMs = Number(beat.leaseExpiresAt.seconds) * 1000;
    expect(expiresMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 119_000);
    expect(expiresMs).toBeLessThanOrEqual(Date.now() + 121_000);
    expect(await getGrpc(enqueued.id)).toMatchObject({ status: "TASK_STATUS_STARTED", progress: 40, progressMessage: "thumbnails" });

    const done = await unary<{ task: GTask }>(workers, "CompleteTask", {
      taskId: enqueued.id,
      leaseToken: leased.leaseToken,
      result: toValue({ url: "s3://b/k.png", bytes: 1234 }),
    });
    expect(done.task.status).toBe("TASK_STATUS_SUCCESS");

    const got = await getGrpc(enqueued.id);
    expect(got).toMatchObject({ status: "TASK_STATUS_SUCCESS", progress: 100, lease: null });
    expect(fromValue(got.result!)).toEqual({ url: "s3://b/k.png", bytes: 1234 });
    expect(got.completedAt).not.toBeNull();
  });

  it("reports an unknown id as NOT_FOUND with reason TASK_NOT_FOUND", async () => {
    const id = "01900000-0000-7000-8000-000000000000";
    const err = await grpcError(getGrpc(id));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(meta(err, "gobq-reason")).toBe("TASK_NOT_FOUND");
    expect(err.details).toContain(id);
  });

  it("reports a bad name as INVALID_ARGUMENT naming the field", async () => {
    const err = await grpcError(enqueueGrpc({ name: "bad name!", category: "images" }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(meta(err, "gobq-reason")).toBe("INVALID_ARGUMENT");
    expect(meta(err, "gobq-field")).toBe("name");
    // Connect percent-encodes grpc-message with encodeURIComponent; grpc-js decodes it with
    // decodeURI, which leaves reserved characters (":", ",") encoded: "name%3A must match …".
    expect(decodeURIComponent(err.details)).toMatch(/^name: /);
    // Nothing was stored.
    const list = await unary<{ tasks: GTask[] }>(harness().tasks, "ListTasks", {});
    expect(list.tasks).toEqual([]);
  });

  it("refuses a stale lease token with FAILED_PRECONDITION / LEASE_LOST and changes nothing", async () => {
    const { workers, tasks } = harness();
    const task = await enqueueGrpc({ name: "resize", category: "images" });
    const zombie = await leaseGrpc("images", "worker-1");
    await unary(workers, "FailTask", {
      taskId: task.id,
      leaseToken: zombie.leaseToken,
      error: { message: "boom", type: "ValueError" },
      retryable: false,
    });
    const retried = await unary<{ retried: boolean }>(tasks, "RetryTask", { id: task.id });
    expect(retried.retried).toBe(true);
    const current = await leaseGrpc("images", "worker-2");
    expect(current.leaseToken).not.toBe(zombie.leaseToken);

    const err = await grpcError(
      unary(workers, "CompleteTask", { taskId: task.id, leaseToken: zombie.leaseToken, result: toValue("stale") }),
    );
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(meta(err, "gobq-reason")).toBe("LEASE_LOST");

    const after = await getGrpc(task.id);
    expect(after).toMatchObject({ status: "TASK_STATUS_STARTED", attempt: 2, lease: { workerId: "worker-2" }, result: null });
  });

  it("streams WatchTask: PENDING, STARTED, SUCCESS, then the stream ends", async () => {
    const { tasks, workers } = harness();
    const task = await enqueueGrpc({ name: "resize", category: "images" });
    const watchTask = (tasks as unknown as { WatchTask: WatchTaskMethod }).WatchTask;
    const stream = watchTask.call(tasks, { id: task.id }, { deadline: Date.now() + CALL_DEADLINE_MS });
    const events = stream[Symbol.asyncIterator]();
    const next = async () => {
      const r = await events.next();
      if (r.done) throw new Error("the stream ended early");
      return r.value.event;
    };

    const first = await next();
    expect(first).toMatchObject({ seq: "1", task: { id: task.id, status: "TASK_STATUS_PENDING" } });
    const leased = await leaseGrpc("images", "worker-1");
    const second = await next();
    expect(second.task.status).toBe("TASK_STATUS_STARTED");
    await unary(workers, "CompleteTask", { taskId: task.id, leaseToken: leased.leaseToken, result: toValue(7) });
    const third = await next();
    expect(third.task.status).toBe("TASK_STATUS_SUCCESS");
    expect(fromValue(third.task.result!)).toBe(7);
    expect(Number(third.seq)).toBeGreaterThan(Number(second.seq));
    expect(Number(second.seq)).toBeGreaterThan(Number(first.seq));
    expect((await events.next()).done).toBe(true);
  });

  it("answers grpc.health.v1 Check with SERVING", async () => {
    const { health } = harness();
    expect(await unary(health, "Check", { service: "" })).toEqual({ status: "SERVING" });
    expect(await unary(health, "Check", { service: "gobq.v1.WorkerService" })).toEqual({ status: "SERVING" });
    const err = await grpcError(unary(health, "Check", { service: "no.such.Service" }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });
});

// ---- fetch with the Connect protocol's JSON over HTTP/1.1 ------------------------------

interface ConnectReply {
  status: number;
  headers: Headers;
  /** Whatever JSON the server sent; tests compare it with expectations. */
  body: any;
}

/** A Connect unary call as any HTTP client makes it: POST /<service>/<Method>, JSON in and out. */
async function connectPost(procedure: string, body: string | object): Promise<ConnectReply> {
  const res = await fetch(`${harness().server.httpUrl}/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_DEADLINE_MS),
  });
  expect(res.headers.get("content-type")).toBe("application/json");
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe("fetch with Connect JSON over HTTP/1.1", { timeout: 5_000 }, () => {
  it("enqueues, leases, completes and reads a task in the proto3 JSON mapping", async () => {
    const start = Date.now();
    const enq = await connectPost("gobq.v1.TaskService/EnqueueTask", {
      name: "resize",
      category: "images",
      priority: "TASK_PRIORITY_HIGH",
      args: [1, "a"],
      kwargs: { w: 100 },
    });
    expect(enq.status).toBe(200);
    const task = enq.body.task;
    expect(task).toMatchObject({
      name: "resize",
      category: "images",
      priority: "TASK_PRIORITY_HIGH",
      status: "TASK_STATUS_PENDING",
      args: [1, "a"],
      kwargs: { w: 100 },
      seq: "1", // uint64 travels as a string
    });
    expect(task.id).toMatch(UUID);
    expect(task.createdAt).toMatch(RFC3339);
    expect(Date.parse(task.createdAt)).toBeGreaterThanOrEqual(start - 1_000);
    expect(Date.parse(task.createdAt)).toBeLessThanOrEqual(Date.now() + 1_000);

    const lease = await connectPost("gobq.v1.WorkerService/LeaseTasks", {
      category: "images",
      workerId: "worker-curl",
      maxTasks: 5,
      leaseDuration: "30s", // Durations are strings of seconds
      wait: "1s",
    });
    expect(lease.status).toBe(200);
    expect(lease.body.tasks).toHaveLength(1);
    const leased = lease.body.tasks[0];
    expect(leased.task).toMatchObject({ id: task.id, status: "TASK_STATUS_STARTED", attempt: 1, lease: { workerId: "worker-curl" } });
    expect(leased.leaseToken).toEqual(expect.any(String));
    expect(leased.leaseExpiresAt).toMatch(RFC3339);
    const leaseLeftMs = Date.parse(leased.leaseExpiresAt) - Date.now();
    expect(leaseLeftMs).toBeGreaterThan(25_000);
    expect(leaseLeftMs).toBeLessThanOrEqual(30_000);

    const result = { thumb: "t.png", size: [64, 64], ok: true, note: null };
    const done = await connectPost("gobq.v1.WorkerService/CompleteTask", { taskId: task.id, leaseToken: leased.leaseToken, result });
    expect(done.status).toBe(200);
    expect(done.body.task).toMatchObject({ id: task.id, status: "TASK_STATUS_SUCCESS", result });

    const got = await connectPost("gobq.v1.TaskService/GetTask", { id: task.id });
    expect(got.status).toBe(200);
    expect(got.body.task).toMatchObject({ status: "TASK_STATUS_SUCCESS", result, progress: 100 });
    expect(got.body.task.completedAt).toMatch(RFC3339);
    expect(got.body.task.lease).toBeUndefined();
  });

  it("maps errors to Connect HTTP statuses with a JSON error body", async () => {
    const id = "01900000-0000-7000-8000-000000000000";
    const missing = await connectPost("gobq.v1.TaskService/GetTask", { id });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: "not_found", message: expect.stringContaining(id) });
    expect(missing.headers.get("gobq-reason")).toBe("TASK_NOT_FOUND");

    const bad = await connectPost("gobq.v1.TaskService/EnqueueTask", { name: "bad name!", category: "images" });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: "invalid_argument", message: expect.stringMatching(/^name: /) });
    expect(bad.headers.get("gobq-reason")).toBe("INVALID_ARGUMENT");
    expect(bad.headers.get("gobq-field")).toBe("name");
  });

  it("answers a malformed JSON body with invalid_argument and keeps serving", async () => {
    const broken = await connectPost("gobq.v1.TaskService/EnqueueTask", '{"name": "resize", "args": [1,');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ code: "invalid_argument", message: expect.any(String) });

    const wrongType = await connectPost("gobq.v1.TaskService/EnqueueTask", { name: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toEqual({ code: "invalid_argument", message: expect.stringContaining("name") });

    const next = await connectPost("gobq.v1.TaskService/EnqueueTask", { name: "resize" });
    expect(next.status).toBe(200);
    expect(next.body.task).toMatchObject({ name: "resize", category: "default", status: "TASK_STATUS_PENDING" });
    // Only the good call stored anything.
    const list = await connectPost("gobq.v1.TaskService/ListTasks", {});
    expect(list.body.tasks.map((t: { id: string }) => t.id)).toEqual([next.body.task.id]);
  });
});

// ---- Connect's gRPC client, mixed with grpc-js ----------------------------------------

describe("Connect's gRPC client over HTTP/2", { timeout: 5_000 }, () => {
  it("answers a waiting long-poll as soon as grpc-js enqueues", async () => {
    const { server, tasks } = harness();
    const sessionManager = new Http2SessionManager(server.url);
    try {
      const workers = createClient(WorkerService, createGrpcTransport({ baseUrl: server.url, sessionManager }));
      const WAIT_MS = 10_000;
      const asked = Date.now();
      let answeredAt: number | undefined;
      const poll = workers
        .leaseTasks({ category: "video", workerId: "worker-connect", maxTasks: 1, wait: durationFromMs(WAIT_MS) })
        .finally(() => (answeredAt = Date.now()));

      // The server counts a worker as seen when its long-poll arrives: wait for that, so the
      // enqueue below lands while the poll is waiting rather than before it.
      await expect.poll(async () => {
        const stats = await unary<{ categories: Array<{ category: string; workersSeen: string }> }>(tasks, "GetStats", {});
        return stats.categories.find((c) => c.category === "video")?.workersSeen;
      }, { interval: 20, timeout: 2_000 }).toBe("1");
      expect(answeredAt).toBeUndefined();

      const enqueuedAt = Date.now();
      const task = await enqueueGrpc({ name: "transcode", category: "video", args: { values: [toValue("clip.mp4")] } });
      const { tasks: leased } = await poll;

      expect(leased).toHaveLength(1);
      expect(leased[0]!.task).toMatchObject({ id: task.id, status: TaskStatus.STARTED });
      expect(leased[0]!.task!.args?.values.map((v) => v.kind.value)).toEqual(["clip.mp4"]);
      expect(answeredAt! - enqueuedAt).toBeLessThan(1_000);
      expect(answeredAt! - asked).toBeLessThan(WAIT_MS / 2);
    } finally {
      sessionManager.abort();
    }
  });
});
