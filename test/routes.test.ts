/**
 * The routes through Connect's in-memory transport: what a client observes of codes,
 * reasons, conversions and streams — without a port.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskPriority, TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { EnqueueTaskRequestSchema, TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { createRoutes } from "../src/server/routes.js";
import { createMemoryStore } from "../src/store/memory/index.js";

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

async function clients() {
  scheduler = await Scheduler.open({ store: createMemoryStore() });
  const logged: unknown[] = [];
  const transport = createRouterTransport(createRoutes({ scheduler, log: { error: (o) => logged.push(o) } }));
  return {
    tasks: createClient(TaskService, transport),
    workers: createClient(WorkerService, transport),
    health: createClient(Health, transport),
    logged,
  };
}

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; reason: string | null; field: string | null; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, reason: e.metadata.get("gobq-reason"), field: e.metadata.get("gobq-field"), message: e.rawMessage };
  }
  throw new Error("expected the call to fail");
}

describe("TaskService routes", () => {
  it("round-trips args, kwargs and result as JSON and reports timing", async () => {
    const { tasks, workers } = await clients();
    const { task } = await tasks.enqueueTask({
      name: "send_email",
      category: "notifications",
      priority: TaskPriority.HIGH,
      args: { values: [{ kind: { case: "stringValue", value: "a@b.c" } }, { kind: { case: "numberValue", value: 3 } }] },
      kwargs: { subject: "Hi", nested: { list: [1, null, true] } },
      maxRetries: 2,
    });
    expect(task).toMatchObject({ name: "send_email", category: "notifications", priority: TaskPriority.HIGH, status: TaskStatus.PENDING, maxRetries: 2 });
    expect(task!.kwargs).toEqual({ subject: "Hi", nested: { list: [1, null, true] } });
    const { tasks: leased } = await workers.leaseTasks({ category: "notifications", workerId: "w", maxTasks: 5 });
    expect(leased).toHaveLength(1);
    expect(leased[0]!.task!.args!.values.map((v) => v.kind.value)).toEqual(["a@b.c", 3]);
    expect(leased[0]!.task!.lease?.workerId).toBe("w");
    const done = await workers.completeTask({
      taskId: task!.id,
      leaseToken: leased[0]!.leaseToken,
      result: { kind: { case: "structValue", value: { fields: { sent: { kind: { case: "boolValue", value: true } } } } } },
    });
    expect(done.task).toMatchObject({ status: TaskStatus.SUCCESS, progress: 100 });
    expect(done.task!.completedAt).toBeDefined();
    const got = await tasks.getTask({ id: task!.id });
    expect(got.task!.result?.kind).toMatchObject({ case: "structValue" });
    expect(got.task!.lease).toBeUndefined();
  });

  it("maps domain errors to codes with a stable reason and the field", async () => {
    const { tasks, workers, logged } = await clients();
    expect(await codeOf(tasks.enqueueTask({ name: "" }))).toMatchObject({ code: Code.InvalidArgument, field: "name" });
    expect(await codeOf(tasks.enqueueTask({ name: "ok", priority: 9 as TaskPriority }))).toMatchObject({
      code: Code.InvalidArgument,
      field: "priority",
    });
    expect(await codeOf(tasks.enqueueTask({ name: "ok", timeout: durationFromMs(-5) }))).toMatchObject({ field: "timeout" });
    expect(
      await codeOf(tasks.enqueueTasks({ tasks: [create(EnqueueTaskRequestSchema, { name: "a" }), create(EnqueueTaskRequestSchema, { name: "b c" })] })),
    ).toMatchObject({ code: Code.InvalidArgument, field: "tasks[1].name" });
    expect(await codeOf(tasks.getTask({ id: "019a0000-0000-7000-8000-000000000000" }))).toMatchObject({
      code: Code.NotFound,
      reason: "TASK_NOT_FOUND",
    });
    expect(await codeOf(tasks.getTask({ id: "nope" }))).toMatchObject({ code: Code.InvalidArgument, field: "id" });
    const { task } = await tasks.enqueueTask({ name: "job" });
    await workers.leaseTasks({ category: "default", workerId: "w" });
    expect(await codeOf(workers.completeTask({ taskId: task!.id, leaseToken: "forged" }))).toMatchObject({
      code: Code.FailedPrecondition,
      reason: "LEASE_LOST",
    });
    expect(await codeOf(workers.heartbeatTask({ taskId: task!.id, leaseToken: "x", progress: 101 }))).toMatchObject({
      code: Code.InvalidArgument,
      field: "progress",
    });
    expect(await codeOf(workers.leaseTasks({ category: "default", workerId: "w", wait: durationFromMs(51_000) }))).toMatchObject({
      field: "wait",
    });
    expect(await codeOf(workers.leaseTasks({ category: "default", workerId: "w", leaseDuration: durationFromMs(10) }))).toMatchObject({
      field: "lease_duration",
    });
    expect(await codeOf(workers.leaseTasks({ category: "default", workerId: "w", heldTaskIds: [task!.id] }))).toMatchObject({
      field: "held_task_ids",
    });
    expect(await codeOf(workers.leaseTasks({ category: "default", workerId: "w", reclaim: true, heldTaskIds: ["x"] }))).toMatchObject({
      field: "held_task_ids[0]",
    });
    expect(logged).toEqual([]); // domain errors are not logged as unexpected
    expect((await tasks.getStats({})).total).toBe(1n);
  });

  it("rejects JSON that JSON cannot hold, naming the field, and stores nothing", async () => {
    const { tasks, workers } = await clients();
    expect(await codeOf(tasks.enqueueTask({ name: "x", kwargs: { a: Infinity } }))).toMatchObject({ code: Code.InvalidArgument, field: "kwargs" });
    expect(
      await codeOf(tasks.enqueueTask({ name: "x", args: { values: [{ kind: { case: "numberValue", value: NaN } }] } })),
    ).toMatchObject({ code: Code.InvalidArgument, field: "args" });
    expect(await codeOf(tasks.enqueueTask({ name: "x", args: { values: [{ kind: { case: undefined } }] } }))).toMatchObject({
      code: Code.InvalidArgument,
      field: "args",
    });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(await codeOf(tasks.enqueueTask({ name: "x", kwargs: deep as never }))).toMatchObject({ code: Code.InvalidArgument, field: "kwargs" });
    expect((await tasks.getStats({})).total).toBe(0n);
    const { task } = await tasks.enqueueTask({ name: "x" });
    const [l] = (await workers.leaseTasks({ category: "default", workerId: "w" })).tasks;
    expect(await codeOf(workers.completeTask({ taskId: task!.id, leaseToken: l!.leaseToken, result: { kind: { case: undefined } } }))).toMatchObject({
      code: Code.InvalidArgument,
      field: "result",
    });
    const batch = await workers.completeTasks({ tasks: [{ taskId: task!.id, leaseToken: l!.leaseToken, result: { kind: { case: "numberValue", value: Infinity } } }] });
    expect(batch.results[0]).toMatchObject({ errorReason: "INVALID_ARGUMENT" });
    expect((await tasks.getTask({ id: task!.id })).task!.status).toBe(TaskStatus.STARTED);
  });

  it("acks a batch per task: a stale token fails only its own item", async () => {
    const { tasks, workers } = await clients();
    await tasks.enqueueTasks({ tasks: [1, 2, 3].map(() => create(EnqueueTaskRequestSchema, { name: "job" })) });
    const { tasks: leased } = await workers.leaseTasks({ category: "default", workerId: "w", maxTasks: 3 });
    const res = await workers.completeTasks({
      tasks: leased.map((l, i) => ({ taskId: l.task!.id, leaseToken: i === 1 ? "stale" : l.leaseToken })),
    });
    expect(res.results.map((r) => r.errorReason)).toEqual(["", "LEASE_LOST", ""]);
    expect(res.results[0]!.status).toBe(TaskStatus.SUCCESS);
    const stats = await tasks.getStats({});
    expect(stats.byStatus).toEqual({ success: 2n, started: 1n });
  });

  it("lists newest first with page tokens and filters", async () => {
    const { tasks } = await clients();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await tasks.enqueueTask({ name: i % 2 ? "odd" : "even" })).task!.id);
    const p1 = await tasks.listTasks({ pageSize: 2 });
    const p2 = await tasks.listTasks({ pageSize: 2, pageToken: p1.nextPageToken });
    const p3 = await tasks.listTasks({ pageSize: 2, pageToken: p2.nextPageToken });
    expect([...p1.tasks, ...p2.tasks, ...p3.tasks].map((t) => t.id)).toEqual([...ids].reverse());
    expect(p3.nextPageToken).toBe("");
    expect((await tasks.listTasks({ name: "odd" })).tasks.map((t) => t.id)).toEqual([ids[3], ids[1]]);
    expect((await codeOf(tasks.listTasks({ pageToken: "garbage!" }))).field).toBe("page_token");
  });

  it("streams a task until its final status, and reports cancel", async () => {
    const { tasks, workers } = await clients();
    const { task } = await tasks.enqueueTask({ name: "job", runAt: timestampFromMs(Date.now() + 60_000) });
    const seen: TaskStatus[] = [];
    const watching = (async () => {
      for await (const r of tasks.watchTask({ id: task!.id })) seen.push(r.event!.task!.status);
    })();
    await new Promise((r) => setTimeout(r, 20));
    const c = await tasks.cancelTask({ id: task!.id });
    expect(c).toMatchObject({ cancelled: true, task: { status: TaskStatus.CANCELLED } });
    await watching;
    expect(seen).toEqual([TaskStatus.PENDING, TaskStatus.CANCELLED]);
    expect((await workers.leaseTasks({ category: "default", workerId: "w", wait: durationFromMs(0) })).tasks).toEqual([]);
  });

  it("purges only finished tasks", async () => {
    const { tasks, workers } = await clients();
    await tasks.enqueueTasks({ tasks: [1, 2].map(() => create(EnqueueTaskRequestSchema, { name: "job" })) });
    const { tasks: leased } = await workers.leaseTasks({ category: "default", workerId: "w" });
    await workers.completeTask({ taskId: leased[0]!.task!.id, leaseToken: leased[0]!.leaseToken });
    expect((await codeOf(tasks.purgeTasks({}))).field).toBe("older_than");
    await new Promise((r) => setTimeout(r, 5)); // completed strictly before the cut-off
    expect((await tasks.purgeTasks({ olderThan: durationFromMs(0) })).deleted).toBe(1n);
    expect((await tasks.getStats({})).total).toBe(1n);
  });

  it("reports health", async () => {
    const { health } = await clients();
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "gobq.v1.TaskService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await codeOf(health.check({ service: "nope" }))).code).toBe(Code.NotFound);
  });
});
