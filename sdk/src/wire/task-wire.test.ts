import { create, fromBinary, fromJson, toBinary, toJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import { createRouterTransport } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeEnqueue, taskFromProto } from "../convert.js";
import { TaskPriority, TaskSchema, TaskStatus } from "../gen/gobq/v1/task_pb.js";
import { EnqueueTaskRequestSchema, EnqueueTasksResponseSchema, TaskService } from "../gen/gobq/v1/task_service_pb.js";
import { CompleteTaskRequestSchema, CompleteTasksResponseSchema, LeaseTasksResponseSchema } from "../gen/gobq/v1/worker_service_pb.js";
import type { EnqueueOptions, JsonValue } from "../types.js";
import { readValue, writeValue } from "./json-wire.js";
import { ProtoReader } from "./proto-reader.js";
import { ProtoWriter } from "./proto-writer.js";
import { rawCaller } from "./raw-call.js";
import { readAckResults, readLeasedTasks, readTaskList, writeCompleteTaskRequest, writeRepeated } from "./task-wire.js";

const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')) as fc.Arbitrary<JsonValue>;
const text = fc.string({ unit: "binary", maxLength: 40 });
// protobuf-es drops a "__proto__" key of a Struct; this SDK keeps it (a test below).
const key = text.filter((k) => k !== "__proto__");
// Before 1970 too: negative seconds are ten-byte varints.
const time = fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_000 });
const interval = fc.integer({ min: 0, max: 10 ** 12 });

/** Any Task message a server could send. */
const anyTask = fc
  .record({
    id: text,
    name: text,
    category: text,
    priority: fc.integer({ min: 0, max: 4 }),
    status: fc.integer({ min: 0, max: 6 }),
    args: fc.option(fc.array(json, { maxLength: 4 }), { nil: undefined }),
    kwargs: fc.option(fc.dictionary(key, json, { maxKeys: 4, noNullPrototype: true }), { nil: undefined }),
    result: fc.option(json, { nil: undefined }),
    error: fc.option(fc.record({ message: text, type: text }), { nil: undefined }),
    maxRetries: fc.integer({ min: -5, max: 100 }),
    retryCount: fc.nat(),
    attempt: fc.nat(),
    retryPolicy: fc.option(
      fc.record({
        initialMs: fc.option(interval, { nil: undefined }),
        maxMs: fc.option(interval, { nil: undefined }),
        multiplier: fc.double({ noNaN: true }),
        jitter: fc.double({ noNaN: true }),
      }),
      { nil: undefined },
    ),
    progress: fc.double({ noNaN: true }),
    progressMessage: text,
    times: fc.array(fc.option(time, { nil: undefined }), { minLength: 6, maxLength: 6 }),
    elapsedSeconds: fc.double({ noNaN: true }),
    idempotencyKey: text,
    timeoutMs: fc.option(interval, { nil: undefined }),
    cancelRequested: fc.boolean(),
    lease: fc.option(fc.record({ workerId: text, expiresAt: fc.option(time, { nil: undefined }) }), { nil: undefined }),
    seq: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
  })
  .map((t) => {
    const ts = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));
    const [createdAt, startedAt, completedAt, runAt, nextAttemptAt] = t.times.map(ts);
    return create(TaskSchema, {
      ...t,
      args: t.args && { values: t.args.map((v) => fromJson(ValueSchema, v as PbJson)) },
      result: t.result === undefined ? undefined : fromJson(ValueSchema, t.result as PbJson),
      retryPolicy: t.retryPolicy && {
        initialInterval: t.retryPolicy.initialMs === undefined ? undefined : durationFromMs(t.retryPolicy.initialMs),
        maximumInterval: t.retryPolicy.maxMs === undefined ? undefined : durationFromMs(t.retryPolicy.maxMs),
        backoffCoefficient: t.retryPolicy.multiplier,
        jitter: t.retryPolicy.jitter,
      },
      createdAt,
      startedAt,
      completedAt,
      runAt,
      nextAttemptAt,
      timeout: t.timeoutMs === undefined ? undefined : durationFromMs(t.timeoutMs),
      lease: t.lease && { workerId: t.lease.workerId, expiresAt: ts(t.lease.expiresAt) },
    });
  });

describe("JSON values on the wire", () => {
  it("are written as protobuf-es writes a google.protobuf.Value, and read back unchanged", () => {
    fc.assert(
      fc.property(json, (value) => {
        const w = new ProtoWriter(8);
        writeValue(w, value, "v");
        const bytes = w.finish();
        expect(bytes).toStrictEqual(toBinary(ValueSchema, fromJson(ValueSchema, value as PbJson)));
        expect(readValue(new ProtoReader(bytes), bytes.length)).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it("refuse what JSON cannot hold, naming where", () => {
    for (const bad of [{ a: [1, undefined] }, { a: () => 1 }, { a: Number.POSITIVE_INFINITY }, { a: 1n }]) {
      expect(() => writeValue(new ProtoWriter(), bad, "kwargs")).toThrow(/^kwargs\.a/);
    }
  });

  it("keep a key named __proto__ as a key", () => {
    const w = new ProtoWriter();
    writeValue(w, JSON.parse('{"__proto__": 1}'), "v");
    const bytes = w.finish();
    const value = readValue(new ProtoReader(bytes), bytes.length) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toStrictEqual(["__proto__"]);
  });
});

describe("tasks read from the wire", () => {
  it("are what taskFromProto makes of the message", () => {
    fc.assert(
      fc.property(fc.array(anyTask, { maxLength: 3 }), (tasks) => {
        const bytes = toBinary(EnqueueTasksResponseSchema, create(EnqueueTasksResponseSchema, { tasks }));
        expect(readTaskList(bytes)).toStrictEqual(fromBinary(EnqueueTasksResponseSchema, bytes).tasks.map(taskFromProto));
      }),
      { numRuns: 300 },
    );
  });

  it("come with their lease tokens from a LeaseTasksResponse", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyTask, text), { maxLength: 3 }), (leased) => {
        const message = create(LeaseTasksResponseSchema, {
          tasks: leased.map(([task, leaseToken]) => ({ task, leaseToken, leaseExpiresAt: timestampFromMs(1) })),
        });
        const bytes = toBinary(LeaseTasksResponseSchema, message);
        const expected = fromBinary(LeaseTasksResponseSchema, bytes).tasks.map((l) => ({ task: taskFromProto(l.task!), leaseToken: l.leaseToken }));
        expect(readLeasedTasks(bytes)).toStrictEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("skip fields this SDK does not know", () => {
    const task = create(TaskSchema, { id: "a", seq: 3n });
    task.$unknown = [{ no: 99, wireType: 2, data: new Uint8Array([2, 7, 7]) }];
    expect(readTaskList(toBinary(EnqueueTasksResponseSchema, create(EnqueueTasksResponseSchema, { tasks: [task] })))[0]).toMatchObject({ id: "a", seq: 3 });
  });
});

describe("requests written to the wire", () => {
  const options: fc.Arbitrary<EnqueueOptions> = fc.record(
    {
      category: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/),
      priority: fc.constantFrom("low", "normal", "high", "critical" as const),
      args: fc.array(json, { maxLength: 3 }),
      kwargs: fc.dictionary(key, json, { maxKeys: 3, noNullPrototype: true }),
      maxRetries: fc.integer({ min: 0, max: 100 }),
      runAt: fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }),
      timeoutMs: fc.integer({ min: 1, max: 10 ** 9 }),
      idempotencyKey: text,
      retry: fc.record({ initialMs: interval, maxMs: interval, multiplier: fc.double({ noNaN: true }), jitter: fc.double({ noNaN: true }) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );

  it("hold what each EnqueueOptions asks for", () => {
    fc.assert(
      fc.property(options, (o) => {
        const priorities = { low: TaskPriority.LOW, normal: TaskPriority.NORMAL, high: TaskPriority.HIGH, critical: TaskPriority.CRITICAL };
        const expected = create(EnqueueTaskRequestSchema, {
          name: "job.run",
          category: o.category ?? "",
          priority: o.priority === undefined ? TaskPriority.UNSPECIFIED : priorities[o.priority],
          args: o.args && { values: o.args.map((v) => fromJson(ValueSchema, v as PbJson)) },
          kwargs: o.kwargs,
          maxRetries: o.maxRetries ?? 0,
          runAt: o.runAt && timestampFromMs(o.runAt.getTime()),
          timeout: o.timeoutMs === undefined ? undefined : durationFromMs(o.timeoutMs),
          idempotencyKey: o.idempotencyKey ?? "",
          retryPolicy: o.retry && {
            initialInterval: o.retry.initialMs === undefined ? undefined : durationFromMs(o.retry.initialMs),
            maximumInterval: o.retry.maxMs === undefined ? undefined : durationFromMs(o.retry.maxMs),
            backoffCoefficient: o.retry.multiplier ?? 0,
            jitter: o.retry.jitter ?? 0,
          },
        });
        expect(encodeEnqueue("job.run", o)).toStrictEqual(toBinary(EnqueueTaskRequestSchema, expected));
      }),
      { numRuns: 300 },
    );
  });

  it("name the field that holds what JSON cannot", () => {
    expect(() => encodeEnqueue("a", { kwargs: { when: undefined as unknown as JsonValue } })).toThrow(/kwargs/);
    expect(() => encodeEnqueue("a", { args: [Number.NaN] })).toThrow(/args/);
  });

  it("complete a task with its result", () => {
    for (const result of [undefined, null, { ok: true, n: [1, "2"] }]) {
      const w = new ProtoWriter();
      writeCompleteTaskRequest(w, "id-1", "tok", result);
      const message = fromBinary(CompleteTaskRequestSchema, w.finish());
      expect(message.taskId).toBe("id-1");
      expect(message.leaseToken).toBe("tok");
      expect(message.result === undefined ? undefined : toJson(ValueSchema, message.result)).toStrictEqual(result);
    }
  });
});

describe("raw calls", () => {
  it("send and receive the bytes of the real messages through a Connect transport", async () => {
    let received: string[] = [];
    const transport = createRouterTransport(({ service }) => {
      service(TaskService, {
        enqueueTasks(req) {
          received = req.tasks.map((t) => `${t.name}/${JSON.stringify(t.kwargs)}`);
          return { tasks: req.tasks.map((t, i) => ({ id: `id-${i}`, name: t.name, kwargs: t.kwargs, seq: 1n, status: TaskStatus.PENDING })) };
        },
      });
    });
    const bodies = [encodeEnqueue("a", { kwargs: { i: 1 } }), encodeEnqueue("b", { kwargs: { to: "ü@x" } })];
    const w = new ProtoWriter();
    writeRepeated(w, 1, bodies);
    const tasks = readTaskList(await rawCaller(transport)(TaskService.method.enqueueTasks, w.finish()));
    expect(received).toStrictEqual(['a/{"i":1}', 'b/{"to":"ü@x"}']);
    expect(tasks.map((t) => [t.id, t.name, t.kwargs, t.status])).toStrictEqual([
      ["id-0", "a", { i: 1 }, "pending"],
      ["id-1", "b", { to: "ü@x" }, "pending"],
    ]);
  });

  it("read ack results", () => {
    const message = create(CompleteTasksResponseSchema, {
      results: [{ taskId: "a", status: TaskStatus.SUCCESS }, { taskId: "b", errorReason: "LEASE_LOST", errorMessage: "gone" }],
    });
    expect(readAckResults(toBinary(CompleteTasksResponseSchema, message))).toStrictEqual([
      { taskId: "a", errorReason: "", errorMessage: "" },
      { taskId: "b", errorReason: "LEASE_LOST", errorMessage: "gone" },
    ]);
  });
});
