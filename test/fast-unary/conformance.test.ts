/**
 * The fast path for Connect binary unary calls answers as connect-node does: the same
 * requests, sent on raw HTTP/2 streams (and a few over HTTP/1.1) to a server with the fast
 * path and to one without it, sharing one scheduler, get the same status, the same headers
 * (content-type, content-length, gobq-* metadata) and the same body, byte for byte — ids and
 * lease tokens of tasks the calls themselves made blanked. Long-polls end alike when their
 * deadline passes, and a poll whose client left is withdrawn, so no task is leased to nobody.
 */
import * as http2 from "node:http2";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  EnqueueTaskRequestSchema,
  EnqueueTaskResponseSchema,
  GetTaskRequestSchema,
  GetTaskResponseSchema,
} from "@gobq/sdk/gen/task_service_pb.js";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { CompleteTaskRequestSchema, LeaseTasksRequestSchema, LeaseTasksResponseSchema } from "@gobq/sdk/gen/worker_service_pb.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_MESSAGE_BYTES, masked, rawCall, type RawAnswer, type RawRequest, type ServerPair, startServerPair } from "./server-pair.js";

const ENQUEUE = "/gobq.v1.TaskService/EnqueueTask";
const ENQUEUE_MANY = "/gobq.v1.TaskService/EnqueueTasks";
const GET = "/gobq.v1.TaskService/GetTask";
const LEASE = "/gobq.v1.WorkerService/LeaseTasks";
const COMPLETE = "/gobq.v1.WorkerService/CompleteTask";

const enqueueBody = (init: MessageInitShape<typeof EnqueueTaskRequestSchema>) => toBinary(EnqueueTaskRequestSchema, create(EnqueueTaskRequestSchema, init));
const getBody = (id: string) => toBinary(GetTaskRequestSchema, create(GetTaskRequestSchema, { id }));
const leaseBody = (category: string, waitMs: number) =>
  toBinary(LeaseTasksRequestSchema, create(LeaseTasksRequestSchema, { category, workerId: "w1", maxTasks: 1, wait: durationFromMs(waitMs) }));

let pair: ServerPair;
let sessions: { fast: http2.ClientHttp2Session; plain: http2.ClientHttp2Session };

/** The answers of the fast server and of the plain one to `req`, in that order. */
async function both(req: RawRequest): Promise<[RawAnswer, RawAnswer]> {
  return [await rawCall(sessions.fast, req), await rawCall(sessions.plain, req)];
}

/** How a call ended: its answer, or the error its stream ended with. */
async function outcome(session: http2.ClientHttp2Session, req: RawRequest): Promise<RawAnswer | string> {
  return rawCall(session, req).catch((err: unknown) => String(err));
}

beforeAll(async () => {
  pair = await startServerPair();
  sessions = { fast: http2.connect(pair.fast.url), plain: http2.connect(pair.plain.url) };
});

afterAll(async () => {
  for (const s of Object.values(sessions ?? {})) s.close();
  await pair?.stop();
  expect(pair?.logged).toEqual([]);
});

describe("success", () => {
  it("enqueue, get, lease and complete answer the same bytes", async () => {
    const enqueue = { path: ENQUEUE, body: enqueueBody({ name: "resize", category: "conf-ok", args: { values: [] }, maxRetries: 2 }) };
    const [ea, eb] = await both(enqueue);
    const ids = [ea, eb].map((a) => fromBinary(EnqueueTaskResponseSchema, a.body).task!.id);
    expect(ea.status).toBe(200);
    expect(ea.headers["content-type"]).toBe("application/proto");
    expect(masked(ea, ids)).toEqual(masked(eb, ids));

    const [ga, gb] = await both({ path: GET, body: getBody(ids[0]!) });
    expect(fromBinary(GetTaskResponseSchema, ga.body).task?.id).toBe(ids[0]);
    expect(ga).toEqual(gb);

    const la = await rawCall(sessions.fast, { path: LEASE, body: leaseBody("conf-ok", 0) });
    const lb = await rawCall(sessions.plain, { path: LEASE, body: leaseBody("conf-ok", 0) });
    const leased = [la, lb].map((a) => fromBinary(LeaseTasksResponseSchema, a.body).tasks[0]!);
    expect(leased.map((l) => l.task?.id)).toEqual(ids); // FIFO: the fast server leased the first
    const secrets = [...ids, ...leased.map((l) => l.leaseToken)];
    expect(masked(la, secrets)).toEqual(masked(lb, secrets));

    const complete = (i: number) => ({ path: COMPLETE, body: toBinary(CompleteTaskRequestSchema, create(CompleteTaskRequestSchema, { taskId: ids[i]!, leaseToken: leased[i]!.leaseToken })) });
    const ca = await rawCall(sessions.fast, complete(0));
    const cb = await rawCall(sessions.plain, complete(1));
    expect(ca.status).toBe(200);
    expect(masked(ca, secrets)).toEqual(masked(cb, secrets));
  });

  it("an enqueue protobuf-es must read (a timeout set) answers the same bytes", async () => {
    const [a, b] = await both({ path: ENQUEUE, body: enqueueBody({ name: "slow", category: "conf-es", timeout: durationFromMs(60_000) }) });
    const ids = [a, b].map((x) => fromBinary(EnqueueTaskResponseSchema, x.body).task!.id);
    expect(a.status).toBe(200);
    expect(masked(a, ids)).toEqual(masked(b, ids));
  });

  it("over HTTP/1.1, an enqueue and a get answer the same bytes", async () => {
    const post = async (base: string, path: string, body: Uint8Array) => {
      const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/proto" }, body });
      const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== "date" && k !== "keep-alive" && k !== "connection"));
      return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
    };
    const body = enqueueBody({ name: "h1", category: "conf-h1" });
    const [ea, eb] = [await post(pair.fast.httpUrl!, ENQUEUE, body), await post(pair.plain.httpUrl!, ENQUEUE, body)];
    const ids = [ea, eb].map((x) => fromBinary(EnqueueTaskResponseSchema, x.body).task!.id);
    expect(ea.status).toBe(200);
    expect(masked(ea, ids)).toEqual(masked(eb, ids));
    const [ga, gb] = [await post(pair.fast.httpUrl!, GET, getBody(ids[1]!)), await post(pair.plain.httpUrl!, GET, getBody(ids[1]!))];
    expect(ga.status).toBe(200);
    expect(ga).toEqual(gb);
    const unknown = getBody("01890000-0000-7000-8000-000000000000");
    const [na, nb] = [await post(pair.fast.httpUrl!, GET, unknown), await post(pair.plain.httpUrl!, GET, unknown)];
    expect(na.status).toBe(404);
    expect(na).toEqual(nb);
  });
});

describe("errors", () => {
  it.each([
    ["INVALID_ARGUMENT naming the field", { path: ENQUEUE, body: enqueueBody({ name: "has spaces", category: "conf-err" }) }, 400, "name"],
    ["NOT_FOUND", { path: GET, body: getBody("01890000-0000-7000-8000-000000000000") }, 404, undefined],
    ["a body that is not protobuf (GetTask)", { path: GET, body: Buffer.from([0x0a, 0xff, 0x01]) }, 400, "request"],
    ["a body that is not protobuf (EnqueueTask, read raw)", { path: ENQUEUE, body: Buffer.from([0x0a, 0xff, 0x01]) }, 400, "request"],
    ["a body that is not protobuf (EnqueueTasks, read raw)", { path: ENQUEUE_MANY, body: Buffer.from([0xff, 0xff, 0xff]) }, 400, "request"],
    ["a connect-timeout-ms that is not a number", { path: GET, body: getBody("x"), headers: { "connect-timeout-ms": "soon" } }, 400, undefined],
  ] as const)("%s: the same status, headers and JSON body", async (_, req, status, field) => {
    const [a, b] = await both(req);
    expect(a.status).toBe(status);
    expect(a.headers["content-type"]).toBe("application/json");
    expect(a.headers["gobq-field"]).toBe(field);
    expect(a).toEqual(b);
  });

  it("a body over the limit with its length declared: RESOURCE_EXHAUSTED before it is read, alike", async () => {
    const body = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x08);
    const [a, b] = await both({ path: GET, body, headers: { "content-length": String(body.byteLength) } });
    expect(a.status).toBe(429);
    expect(JSON.parse(a.body.toString())).toMatchObject({ code: "resource_exhausted" });
    expect(a).toEqual(b);
  });

  it("a body over the limit without a declared length ends alike", async () => {
    const req = { path: GET, body: Buffer.alloc(2 * MAX_MESSAGE_BYTES, 0x08) };
    const a = await outcome(sessions.fast, req);
    const b = await outcome(sessions.plain, req);
    expect(a).toEqual(b);
  });
});

describe("long-polls", () => {
  it("a deadline passing during a long-poll ends it alike, and leaves no poll waiting", async () => {
    const req = { path: LEASE, body: leaseBody("conf-deadline", 30_000), headers: { "connect-timeout-ms": "200" } };
    const [a, b] = await Promise.all([rawCall(sessions.fast, req), rawCall(sessions.plain, req)]);
    expect(a.status).toBe(200);
    expect(a).toEqual(b);
    expect(pair.scheduler.load().pollers).toBe(0);
  });

  it.each(["fast", "plain"] as const)("a client leaving a long-poll (%s): the poll is withdrawn and the next task is not leased to it", async (which) => {
    const category = `conf-gone-${which}`;
    const ended = outcome(sessions[which], {
      path: LEASE,
      body: leaseBody(category, 30_000),
      sent: (stream) => {
        // Cut the stream once the poll waits in the scheduler.
        void vi.waitFor(() => expect(pair.scheduler.load().pollers).toBe(1), { timeout: 5_000, interval: 10 }).then(() => stream.close(http2.constants.NGHTTP2_CANCEL));
      },
    });
    expect(await ended).toMatch(/reset with code 8/);
    await vi.waitFor(() => expect(pair.scheduler.load().pollers).toBe(0), { timeout: 5_000, interval: 10 });
    const enqueued = await rawCall(sessions.plain, { path: ENQUEUE, body: enqueueBody({ name: "after", category }) });
    const id = fromBinary(EnqueueTaskResponseSchema, enqueued.body).task!.id;
    const got = await rawCall(sessions.plain, { path: GET, body: getBody(id) });
    expect(fromBinary(GetTaskResponseSchema, got.body).task?.status).toBe(TaskStatus.PENDING);
    const lease = await rawCall(sessions[which], { path: LEASE, body: leaseBody(category, 0) });
    expect(fromBinary(LeaseTasksResponseSchema, lease.body).tasks.map((t) => t.task?.id)).toEqual([id]);
  });
});
