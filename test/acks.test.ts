/** Worker acks through a real server: binary and JSON callers get the same results (src/server/ack-wire.ts). */
import { create, fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { EnqueueTaskRequestSchema, TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { type AckResult, WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "../src/scheduler/scheduler.js";
import { createMemoryStore } from "../src/store/memory/index.js";
import { createRoutes } from "../src/server/routes.js";
import { type RunningServer, startServer } from "../src/server/server.js";

describe("CompleteTasks through the server", () => {
  let server: RunningServer;
  let scheduler: Scheduler;
  const logged: unknown[] = [];

  beforeAll(async () => {
    scheduler = await Scheduler.open({ store: createMemoryStore() });
    try {
      const routes = createRoutes({ scheduler, log: { error: (o) => logged.push(o) } });
      server = await startServer({ routes, listen: { host: "127.0.0.1", port: 0 }, httpListen: undefined, maxMessageBytes: 1 << 20 });
    } catch (err) {
      await scheduler.stop();
      throw err;
    }
  });

  afterAll(async () => {
    scheduler.drain();
    try {
      await server?.close(1_000);
    } finally {
      await scheduler.stop();
    }
  });

  /** Acks four leased tasks of a fresh category through `transport`, ids replaced by their place. */
  async function ackMix(transport: Transport, category: string) {
    const tasks = createClient(TaskService, transport);
    const workers = createClient(WorkerService, transport);
    await tasks.enqueueTasks({ tasks: [0, 1, 2, 3].map(() => create(EnqueueTaskRequestSchema, { name: "job", category })) });
    const leased = (await workers.leaseTasks({ category, workerId: "w", maxTasks: 4 })).tasks;
    const ids = leased.map((l) => l.task!.id);
    const token = (i: number) => leased[i]!.leaseToken;
    const done = await workers.completeTask({ taskId: ids[0]!, leaseToken: token(0), result: fromJson(ValueSchema, { rows: [1, "x"] }) });
    const batch = await workers.completeTasks({
      tasks: [
        { taskId: ids[1]!, leaseToken: token(1), result: fromJson(ValueSchema, { ok: true }) },
        { taskId: ids[2]!, leaseToken: "stale" },
        { taskId: ids[3]!, leaseToken: token(3) },
        { taskId: ids[0]!, leaseToken: token(0) }, // already done
      ],
    });
    const failed = await workers.failTasks({ tasks: [{ taskId: ids[2]!, leaseToken: token(2), error: { message: "boom" } }, { taskId: ids[3]!, leaseToken: token(3) }] });
    const masked = (results: AckResult[]) =>
      results.map((r) => ({ ...r, taskId: ids.indexOf(r.taskId), errorMessage: ids.reduce((m, id, i) => m.split(id).join(`#${i}`), r.errorMessage) }));
    return { result: done.task!.result, completed: masked(batch.results), failed: masked(failed.results) };
  }

  it("answers binary and JSON callers alike, accepted and refused acks", async () => {
    const connect = (useBinaryFormat: boolean) => createConnectTransport({ baseUrl: server.url, httpVersion: "2", useBinaryFormat });
    const viaConnectBinary = await ackMix(connect(true), "ack-connect-proto");
    const viaGrpc = await ackMix(createGrpcTransport({ baseUrl: server.url }), "ack-grpc");
    const viaJson = await ackMix(connect(false), "ack-connect-json");
    expect(viaConnectBinary.completed.map((r) => [r.taskId, r.status, r.errorReason])).toEqual([
      [1, TaskStatus.SUCCESS, ""],
      [2, TaskStatus.UNSPECIFIED, "LEASE_LOST"],
      [3, TaskStatus.SUCCESS, ""],
      [0, TaskStatus.UNSPECIFIED, "LEASE_LOST"],
    ]);
    expect(viaConnectBinary.completed[1]!.errorMessage).toContain("#2");
    expect(viaConnectBinary.failed.map((r) => [r.taskId, r.status, r.errorReason])).toEqual([
      [2, TaskStatus.FAILED, ""],
      [3, TaskStatus.UNSPECIFIED, "LEASE_LOST"],
    ]);
    expect(viaGrpc).toStrictEqual(viaConnectBinary);
    expect(viaJson).toStrictEqual(viaConnectBinary);
    expect(logged).toEqual([]);
  });
});
