/**
 * The seven faults of the queue gobq descends from (DESIGN.md), each with a test that would
 * have caught it — against a real `gobq serve` process on its DuckDB default.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskPriority, TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { EnqueueTaskRequestSchema } from "@gobq/sdk/gen/task_service_pb.js";
import { type GobqProcess, startGobq, tempDir } from "./support/gobq-process.js";
import { grpcClients } from "./support/clients.js";

const tmp = tempDir();
let server: GobqProcess;
let c: ReturnType<typeof grpcClients>;

beforeAll(async () => {
  server = await startGobq(`duckdb:${tmp.dir}/gobq.duckdb`);
  c = grpcClients(server.url);
});

afterAll(async () => {
  await server?.stop("SIGKILL");
  tmp.cleanup();
});

const noWait = durationFromMs(0);

describe("faults of the original queue", () => {
  it("1. FIFO within a priority is exact (ties were broken by a random UUID)", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await c.tasks.enqueueTask({ name: "fifo", category: "f1", args: { values: [] } })).task!.id);
    const got: string[] = [];
    for (;;) {
      const { tasks } = await c.workers.leaseTasks({ category: "f1", workerId: "w", maxTasks: 7, wait: noWait });
      if (tasks.length === 0) break;
      got.push(...tasks.map((t) => t.task!.id));
    }
    expect(got).toEqual(ids);
  });

  it("2. a cancelled task never runs (cancel changed the stored copy, not the queued one)", async () => {
    const a = (await c.tasks.enqueueTask({ name: "x", category: "f2" })).task!;
    const b = (await c.tasks.enqueueTask({ name: "x", category: "f2" })).task!;
    expect((await c.tasks.cancelTask({ id: a.id })).cancelled).toBe(true);
    const { tasks } = await c.workers.leaseTasks({ category: "f2", workerId: "w", maxTasks: 10, wait: noWait });
    expect(tasks.map((t) => t.task!.id)).toEqual([b.id]);
    expect((await c.tasks.getTask({ id: a.id })).task).toMatchObject({ status: TaskStatus.CANCELLED, attempt: 0 });
  });

  it("3. a retry waits on a timer, not in the worker's slot", async () => {
    const x = (await c.tasks.enqueueTask({ name: "x", category: "f3", maxRetries: 1 })).task!;
    const y = (await c.tasks.enqueueTask({ name: "x", category: "f3" })).task!;
    const [lx] = (await c.workers.leaseTasks({ category: "f3", workerId: "w", maxTasks: 1, wait: noWait })).tasks;
    const failed = (await c.workers.failTask({ taskId: x.id, leaseToken: lx!.leaseToken, error: { message: "e" }, retryable: true })).task!;
    expect(failed.status).toBe(TaskStatus.RETRY);
    expect(failed.nextAttemptAt).toBeDefined();
    // The worker's one slot is free at once: it gets the next task while x waits out its backoff.
    const [ly] = (await c.workers.leaseTasks({ category: "f3", workerId: "w", maxTasks: 1, wait: noWait })).tasks;
    expect(ly!.task!.id).toBe(y.id);
    expect((await c.tasks.getTask({ id: x.id })).task!.status).toBe(TaskStatus.RETRY);
    // After the backoff (1 s by default) x comes back by itself.
    const [again] = (await c.workers.leaseTasks({ category: "f3", workerId: "w", maxTasks: 1, wait: durationFromMs(10_000) })).tasks;
    expect(again!.task).toMatchObject({ id: x.id, attempt: 2, retryCount: 1 });
  });

  it("4. queued tasks survive a restart in their order (they lived only in memory)", async () => {
    const order: string[] = [];
    const low = (await c.tasks.enqueueTask({ name: "x", category: "f4", priority: TaskPriority.LOW })).task!;
    const high1 = (await c.tasks.enqueueTask({ name: "x", category: "f4", priority: TaskPriority.HIGH })).task!;
    const high2 = (await c.tasks.enqueueTask({ name: "x", category: "f4", priority: TaskPriority.HIGH })).task!;
    await server.stop("SIGKILL");
    server = await startGobq(`duckdb:${tmp.dir}/gobq.duckdb`);
    c = grpcClients(server.url);
    for (;;) {
      const { tasks } = await c.workers.leaseTasks({ category: "f4", workerId: "w", maxTasks: 1, wait: noWait });
      if (tasks.length === 0) break;
      order.push(tasks[0]!.task!.id);
    }
    expect(order).toEqual([high1.id, high2.id, low.id]);
  });

  it("5. a task whose worker died comes back after its lease (it stayed STARTED forever)", async () => {
    const t = (await c.tasks.enqueueTask({ name: "x", category: "f5", maxRetries: 1 })).task!;
    await c.workers.leaseTasks({ category: "f5", workerId: "dies", maxTasks: 1, leaseDuration: durationFromMs(1000), wait: noWait });
    // The first worker never heartbeats; another one long-polls and gets the task once the lease
    // expired and the retry backoff (1 s) passed.
    const { tasks } = await c.workers.leaseTasks({ category: "f5", workerId: "survivor", maxTasks: 1, wait: durationFromMs(15_000) });
    expect(tasks[0]!.task).toMatchObject({ id: t.id, attempt: 2, retryCount: 1, error: { type: "LeaseExpired" } });
    expect(tasks[0]!.task!.lease!.workerId).toBe("survivor");
  });

  it("6. stats count every task exactly (only the latest 1,000 were counted)", async () => {
    const before = await c.tasks.getStats({});
    const batch = Array.from({ length: 1500 }, () => create(EnqueueTaskRequestSchema, { name: "x", category: "f6" }));
    await c.tasks.enqueueTasks({ tasks: batch });
    const after = await c.tasks.getStats({});
    expect(after.total - before.total).toBe(1500n);
    expect(after.byCategory["f6"]).toBe(1500n);
    expect(after.categories.find((x) => x.category === "f6")!.queuedByPriority["normal"]).toBe(1500n);
  });

  it("7. errors are structured logs on stderr, never printed to stdout", async () => {
    await expect(c.tasks.getTask({ id: "0190c5e4-0000-7000-8000-000000000000" })).rejects.toThrow(/not found/);
    await expect(c.tasks.enqueueTask({ name: "" })).rejects.toThrow(/name/);
    await expect(c.workers.completeTask({ taskId: "0190c5e4-0000-7000-8000-000000000000", leaseToken: "t" })).rejects.toThrow();
    const code = await server.stop("SIGTERM");
    expect(code).toBe(0);
    expect(server.stdout().trim().split("\n")).toEqual([expect.stringMatching(/^gobq listening http:\/\/127\.0\.0\.1:\d+ http:/)]);
    const lines = server.stderr().trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
  });
});
