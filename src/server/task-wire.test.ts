import { create, toBinary, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { TaskSchema } from "@gobq/sdk/gen/task_pb.js";
import { EnqueueTaskResponseSchema, EnqueueTasksResponseSchema, TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { LeaseTasksResponseSchema } from "@gobq/sdk/gen/worker_service_pb.js";
import { ProtoWriter } from "@gobq/sdk/wire/proto-writer.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeFullTask, makeTask } from "../store/storetest/fixtures.js";
import type { JsonObject, JsonValue, Task } from "../task/task.js";
import { TASK_PRIORITIES, TASK_STATUSES } from "../task/task.js";
import { taskToProto } from "./convert.js";
import { leaseResponse, taskResponse, tasksResponse, writeTask } from "./task-wire.js";

const NOW = 1_700_000_100_000;
const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<JsonValue>;
const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const text = fc.string({ unit: "binary", maxLength: 40 });

/** Any task the scheduler could hold: every field drawn, optional ones sometimes unset. */
const anyTask: fc.Arbitrary<Task> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/),
    priority: fc.constantFrom(...TASK_PRIORITIES),
    status: fc.constantFrom(...TASK_STATUSES),
    args: fc.array(json, { maxLength: 4 }),
    // "__proto__" as a key: protobuf-es drops it when it builds the object (so does JSON use), the hand-written encoder would not.
    kwargs: fc.dictionary(text.filter((k) => k !== "__proto__"), json, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>,
    result: fc.option(json, { nil: undefined }),
    error: fc.option(fc.record({ message: text, type: text }), { nil: undefined }),
    maxRetries: fc.integer({ min: 0, max: 100 }),
    retryCount: fc.integer({ min: 0, max: 100 }),
    attempt: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    retryPolicy: fc.option(
      fc.record({ initialMs: time, maxMs: time, multiplier: fc.double({ noNaN: true }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) }),
      { nil: undefined },
    ),
    progress: fc.double({ min: 0, max: 100, noNaN: true }),
    progressMessage: text,
    createdAt: time,
    startedAt: fc.option(time, { nil: undefined }),
    completedAt: fc.option(time, { nil: undefined }),
    runAt: fc.option(time, { nil: undefined }),
    nextAttemptAt: fc.option(time, { nil: undefined }),
    timeoutMs: fc.option(time, { nil: undefined }),
    idempotencyKey: fc.option(text, { nil: undefined }),
    cancelRequested: fc.boolean(),
    lease: fc.option(fc.record({ workerId: text, token: text, expiresAt: time, durationMs: time }), { nil: undefined }),
    seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  })
  .map((fields) => makeTask(fields));

function written(task: Task): Uint8Array {
  const w = new ProtoWriter(16);
  writeTask(w, task, NOW);
  return w.finish();
}

function context(contentType: string): HandlerContext {
  return createHandlerContext({
    service: TaskService,
    method: TaskService.method.enqueueTasks,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/gobq.v1.TaskService/EnqueueTasks",
    requestHeader: { "content-type": contentType },
    contextValues: createContextValues(),
  });
}

describe("tasks written without protobuf-es", () => {
  it("are byte for byte what taskToProto and toBinary give", () => {
    for (const task of [makeTask(), makeFullTask(), makeTask({ kwargs: { "": "" }, args: [[], {}], result: null, error: { message: "", type: "" } })]) {
      expect(written(task)).toStrictEqual(toBinary(TaskSchema, taskToProto(task, NOW)));
    }
    fc.assert(
      fc.property(anyTask, (task) => {
        expect(written(task)).toStrictEqual(toBinary(TaskSchema, taskToProto(task, NOW)));
      }),
      { numRuns: 300 },
    );
  });

  it("make responses that a binary caller receives exactly as before, and a JSON caller as messages", () => {
    const tasks = [makeFullTask(), makeTask(), makeTask({ kwargs: { big: "x".repeat(300) } })];
    const binary = context("application/grpc+proto");
    const before = create(EnqueueTasksResponseSchema, { tasks: tasks.map((t) => taskToProto(t, NOW)) });
    expect(toBinary(EnqueueTasksResponseSchema, tasksResponse(binary, EnqueueTasksResponseSchema, tasks, NOW))).toStrictEqual(
      toBinary(EnqueueTasksResponseSchema, before),
    );
    expect(tasksResponse(context("application/json"), EnqueueTasksResponseSchema, tasks, NOW)).toStrictEqual(before);

    const one = create(EnqueueTaskResponseSchema, { task: taskToProto(tasks[0]!, NOW), deduplicated: true });
    const fast = taskResponse(binary, EnqueueTaskResponseSchema, tasks[0]!, NOW, { deduplicated: true });
    // Unknown fields follow the known ones: the same fields, in another order.
    expect(toBinary(EnqueueTaskResponseSchema, fast).length).toBe(toBinary(EnqueueTaskResponseSchema, one).length);
    expect(taskResponse(context("application/grpc-web+json"), EnqueueTaskResponseSchema, tasks[0]!, NOW, { deduplicated: true })).toStrictEqual(one);

    const leased = tasks.map((task, i) => ({ task, leaseToken: `token-${i}`, leaseExpiresAt: NOW + 30_000 + i }));
    const leasedBefore = create(LeaseTasksResponseSchema, {
      tasks: leased.map((l) => ({ task: taskToProto(l.task, NOW), leaseToken: l.leaseToken, leaseExpiresAt: timestampFromMs(l.leaseExpiresAt) })),
    });
    expect(toBinary(LeaseTasksResponseSchema, leaseResponse(binary, leased, NOW))).toStrictEqual(toBinary(LeaseTasksResponseSchema, leasedBefore));
    expect(leaseResponse(context("application/connect+json"), leased, NOW)).toStrictEqual(leasedBefore);
  });

  it("refuses what JSON cannot hold, as toBinary does", () => {
    const task = makeTask({ kwargs: { bad: Number.NaN as unknown as PbJson } as JsonObject });
    expect(() => written(task)).toThrow(TypeError);
  });
});
