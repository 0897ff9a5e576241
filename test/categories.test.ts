/**
 * PauseCategory, ResumeCategory and SetCategoryLimits through the routes (Connect's in-memory
 * transport, with tokens): who may call them, what they answer, and how LeaseTasks and
 * GetStats observe them — and the SDK's pause, resume and setLimits over the same routes.
 */
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient } from "@gobq/sdk";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { createAuth, tokenDigest } from "../src/server/auth.js";
import { createRoutes } from "../src/server/routes.js";
import { createMemoryStore } from "../src/store/memory/index.js";

const TOKENS = {
  producer: "producer-token-5d1e0a93c4b2f718",
  worker: "worker-token-a7c3e9f1b0d24c65",
  admin: "admin-token-3b8f2d6e1a9c0f47",
};
type Role = keyof typeof TOKENS;

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

/** Clients of both services acting with one role's token, all on one server. */
async function server() {
  scheduler = await Scheduler.open({ store: createMemoryStore() });
  const logged: unknown[] = [];
  const auth = createAuth({ tokens: (Object.keys(TOKENS) as Role[]).map((role) => ({ sha256: tokenDigest(TOKENS[role]), role })) });
  const routes = createRoutes({ scheduler, auth, log: { error: (o) => logged.push(o) } });
  const as = (role: Role) => {
    const bearer: Interceptor = (next) => (req) => {
      req.header.set("authorization", `Bearer ${TOKENS[role]}`);
      return next(req);
    };
    const transport = createRouterTransport(routes, { transport: { interceptors: [bearer] } });
    return { tasks: createClient(TaskService, transport), workers: createClient(WorkerService, transport), sdk: new TaskClient({ transport }) };
  };
  return { as, logged };
}

async function refusal(p: Promise<unknown>): Promise<{ code: Code; field: string | null }> {
  try {
    await p;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, field: e.metadata.get("gobq-field") };
  }
  throw new Error("expected the call to fail");
}

describe("category RPCs", () => {
  it("are for admins only: producers and workers get PERMISSION_DENIED and change nothing", async () => {
    const { as } = await server();
    for (const role of ["producer", "worker"] as const) {
      const { tasks } = as(role);
      expect(await refusal(tasks.pauseCategory({ category: "mail" }))).toMatchObject({ code: Code.PermissionDenied });
      expect(await refusal(tasks.resumeCategory({ category: "mail" }))).toMatchObject({ code: Code.PermissionDenied });
      expect(await refusal(tasks.setCategoryLimits({ category: "mail", maxRunning: 1 }))).toMatchObject({ code: Code.PermissionDenied });
    }
    const admin = as("admin");
    expect((await admin.tasks.getStats({})).categories).toEqual([]);
    expect((await admin.tasks.pauseCategory({ category: "mail" })).settings).toMatchObject({ category: "mail", paused: true });
  });

  it("pause holds LeaseTasks while enqueues go on; resume answers a waiting long-poll", async () => {
    const { as } = await server();
    const admin = as("admin");
    const { tasks } = as("producer");
    const worker = as("worker").workers;
    await admin.tasks.pauseCategory({ category: "mail" });
    const { task } = await tasks.enqueueTask({ name: "send", category: "mail" });
    const noWait = { seconds: 0n, nanos: 0 };
    expect((await worker.leaseTasks({ category: "mail", workerId: "w", maxTasks: 5, wait: noWait })).tasks).toEqual([]);
    const started = Date.now();
    const waiting = worker.leaseTasks({ category: "mail", workerId: "w", maxTasks: 5, wait: { seconds: 20n, nanos: 0 } });
    await new Promise((r) => setTimeout(r, 50));
    const resumed = await admin.tasks.resumeCategory({ category: "mail" });
    expect(resumed.settings).toMatchObject({ category: "mail", paused: false, maxRunning: 0, maxStartsPerSecond: 0 });
    expect((await waiting).tasks.map((l) => l.task!.id)).toEqual([task!.id]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("sets limits field by field (unset keeps, 0 removes), enforces them, and reports them in GetStats", async () => {
    const { as } = await server();
    const admin = as("admin");
    const worker = as("worker").workers;
    expect((await admin.tasks.setCategoryLimits({ category: "video", maxRunning: 2, maxStartsPerSecond: 0.5 })).settings).toMatchObject({
      category: "video",
      paused: false,
      maxRunning: 2,
      maxStartsPerSecond: 0.5,
    });
    expect((await admin.tasks.setCategoryLimits({ category: "video", maxStartsPerSecond: 0 })).settings).toMatchObject({
      maxRunning: 2,
      maxStartsPerSecond: 0,
    });
    await admin.tasks.enqueueTasks({ tasks: Array.from({ length: 5 }, () => ({ name: "encode", category: "video" })) });
    expect((await worker.leaseTasks({ category: "video", workerId: "w", maxTasks: 5 })).tasks).toHaveLength(2);
    const stats = await admin.tasks.getStats({});
    expect(stats.categories.find((c) => c.category === "video")).toMatchObject({ running: 2n, paused: false, maxRunning: 2, maxStartsPerSecond: 0 });
    expect((await admin.tasks.setCategoryLimits({ category: "video" })).settings).toMatchObject({ maxRunning: 2 }); // nothing set: as it is
  });

  it("refuses bad settings with INVALID_ARGUMENT naming the field", async () => {
    const { as, logged } = await server();
    const { tasks } = as("admin");
    expect(await refusal(tasks.pauseCategory({ category: "" }))).toEqual({ code: Code.InvalidArgument, field: "category" });
    expect(await refusal(tasks.setCategoryLimits({ category: "a b" }))).toEqual({ code: Code.InvalidArgument, field: "category" });
    expect(await refusal(tasks.setCategoryLimits({ category: "a", maxRunning: 1_000_001 }))).toEqual({ code: Code.InvalidArgument, field: "max_running" });
    for (const bad of [-1, Number.NaN, Infinity, 2e6]) {
      expect(await refusal(tasks.setCategoryLimits({ category: "a", maxStartsPerSecond: bad }))).toEqual({
        code: Code.InvalidArgument,
        field: "max_starts_per_second",
      });
    }
    expect((await tasks.getStats({})).categories).toEqual([]);
    expect(logged).toEqual([]);
  });
});

describe("TaskClient pause, resume, setLimits", () => {
  it("changes the settings and reads them back in stats, in SDK terms", async () => {
    const { as } = await server();
    const { sdk } = as("admin");
    expect(await sdk.pause("reports")).toEqual({ category: "reports", paused: true, maxRunning: 0, maxStartsPerSecond: 0 });
    expect(await sdk.setLimits("reports", { maxRunning: 4 })).toEqual({ category: "reports", paused: true, maxRunning: 4, maxStartsPerSecond: 0 });
    expect(await sdk.setLimits("reports", { maxStartsPerSecond: 2.5 })).toMatchObject({ maxRunning: 4, maxStartsPerSecond: 2.5 });
    expect(await sdk.resume("reports")).toEqual({ category: "reports", paused: false, maxRunning: 4, maxStartsPerSecond: 2.5 });
    expect((await sdk.stats()).categories).toEqual([
      {
        category: "reports",
        queuedByPriority: { low: 0, normal: 0, high: 0, critical: 0 },
        running: 0,
        scheduled: 0,
        oldestQueuedAgeMs: 0,
        workersSeen: 0,
        paused: false,
        maxRunning: 4,
        maxStartsPerSecond: 2.5,
      },
    ]);
    const refused = await refusal(as("producer").sdk.pause("reports"));
    expect(refused.code).toBe(Code.PermissionDenied);
  });
});
