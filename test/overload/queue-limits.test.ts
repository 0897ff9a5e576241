/**
 * --max-queued and --max-queued-per-category: past either, EnqueueTask and EnqueueTasks are
 * refused with RESOURCE_EXHAUSTED and change nothing (a batch whole), and the SDK reports
 * the refusal as one worth retrying.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskClient, isRetryable, reasonOf } from "@gobq/sdk";
import { EnqueueTaskRequestSchema, TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { refusal } from "./refusal.js";
import { ConfigError, validate, withDefaults } from "../../src/config/config.js";
import { DEFAULT_OVERLOAD_LIMITS, type OverloadLimits } from "../../src/scheduler/overload.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createRoutes } from "../../src/server/routes.js";
import { createMemoryStore } from "../../src/store/memory/index.js";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function routes(overload: Partial<OverloadLimits>) {
  const scheduler = await Scheduler.open({ store: createMemoryStore(), overload });
  stops.push(() => scheduler.stop());
  const transport = createRouterTransport(createRoutes({ scheduler }));
  return { tasks: createClient(TaskService, transport), workers: createClient(WorkerService, transport) };
}

const batch = (...categories: string[]) => ({ tasks: categories.map((category) => create(EnqueueTaskRequestSchema, { name: "job", category, maxRetries: 1 })) });

describe("queue limits", () => {
  it("refuses enqueues past the per-category and the total limit, whole batches included, changing nothing", async () => {
    const { tasks, workers } = await routes({ maxQueued: 5, maxQueuedPerCategory: 3 });
    await tasks.enqueueTasks(batch("a", "a", "a"));
    const snapshot = async () => {
      const { byStatus, byCategory } = await tasks.getStats({});
      return { byStatus, byCategory, tasks: (await tasks.listTasks({})).tasks.map((t) => [t.id, t.status, t.seq]) };
    };

    const perCategory = await refusal(tasks.enqueueTask({ name: "job", category: "a" }));
    expect([perCategory.code, reasonOf(perCategory), isRetryable(perCategory)]).toEqual([Code.ResourceExhausted, "RESOURCE_EXHAUSTED", true]);
    expect(perCategory.rawMessage).toMatch(/category "a".*limit of 3/);
    await tasks.enqueueTasks(batch("b", "b")); // other categories still have room: 5 queued in all
    const total = await refusal(tasks.enqueueTask({ name: "job", category: "c" }));
    expect([total.code, total.rawMessage]).toEqual([Code.ResourceExhausted, expect.stringMatching(/limit of 5/)]);
    expect((await snapshot()).byCategory).toEqual({ a: 3n, b: 2n });

    // Leased tasks no longer wait: two slots free up, so a batch of three is refused whole and one of two fits.
    await workers.leaseTasks({ category: "a", workerId: "w", maxTasks: 2, wait: durationFromMs(0) });
    const before = await snapshot();
    expect((await refusal(tasks.enqueueTasks(batch("c", "c", "c")))).code).toBe(Code.ResourceExhausted);
    expect(await snapshot()).toEqual(before);
    await tasks.enqueueTasks(batch("c", "c"));
    expect((await tasks.getStats({})).byStatus).toEqual({ pending: 5n, started: 2n });
  });

  it("counts tasks waiting to retry as queued, and lets a duplicate enqueue through when full", async () => {
    const { tasks, workers } = await routes({ maxQueued: 2 });
    const first = (await tasks.enqueueTask({ name: "job", maxRetries: 1, idempotencyKey: "k" })).task!;
    await tasks.enqueueTask({ name: "job" });
    const [leased] = (await workers.leaseTasks({ category: "default", workerId: "w", wait: durationFromMs(0) })).tasks;
    await workers.failTask({ taskId: leased!.task!.id, leaseToken: leased!.leaseToken, error: { message: "again" }, retryable: true });
    expect((await tasks.getStats({})).byStatus).toEqual({ pending: 1n, retry: 1n });
    expect((await refusal(tasks.enqueueTask({ name: "job" }))).code).toBe(Code.ResourceExhausted);
    const again = await tasks.enqueueTask({ name: "job", idempotencyKey: "k" }); // adds nothing, so it fits
    expect([again.deduplicated, again.task!.id]).toEqual([true, first.id]);
  });

  it("surfaces a full queue in the SDK as retryable; the same call succeeds once there is room", async () => {
    const server: InProcessServer = await startInProcessServer({ overload: { maxQueued: 1 } });
    stops.push(() => server.stop());
    const transport = createGrpcTransport({ baseUrl: server.url });
    const client = new TaskClient({ transport });
    const workers = createClient(WorkerService, transport);
    await client.enqueue("first");
    for (const attempt of [() => client.enqueue("second"), () => client.enqueueMany([{ name: "x" }, { name: "y" }])]) {
      const err = await refusal(attempt());
      expect([err.code, isRetryable(err), reasonOf(err)]).toEqual([Code.ResourceExhausted, true, "RESOURCE_EXHAUSTED"]);
    }
    expect((await client.stats()).total).toBe(1);
    const [l] = (await workers.leaseTasks({ category: "default", workerId: "w", wait: durationFromMs(0) })).tasks;
    await workers.completeTask({ taskId: l!.task!.id, leaseToken: l!.leaseToken });
    await expect(client.enqueue("second")).resolves.toMatchObject({ name: "second", status: "pending" });
  });
});

describe("gobq serve overload flags", () => {
  it("default to the documented limits and name the flag when wrong", () => {
    const config = validate(withDefaults({}));
    const { maxQueued, maxQueuedPerCategory, maxWatchers, maxPollers } = config;
    expect({ maxQueued, maxQueuedPerCategory, maxWatchers, maxPollers }).toEqual(DEFAULT_OVERLOAD_LIMITS);
    expect(validate(withDefaults({ maxPollers: "20000" })).maxPollers).toBe(20_000);
    expect(() => validate(withDefaults({ maxQueued: "0" }))).toThrow(new ConfigError("--max-queued (GOBQ_MAX_QUEUED): must be at least 1"));
    expect(() => validate(withDefaults({ maxWatchers: "lots" }))).toThrow(/^--max-watchers \(GOBQ_MAX_WATCHERS\): must be a whole number$/);
  });
});
