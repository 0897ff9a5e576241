/**
 * Through the SDK, which makes its unary calls with the Connect protocol in protobuf binary:
 * a TaskClient and a Worker see the same results and the same errors from a server with the
 * fast path as from one without it (both on one scheduler, time standing still).
 */
import { ConnectError } from "@connectrpc/connect";
import { TaskClient, Worker, fieldOf, reasonOf, type Task } from "@gobq/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ServerPair, startServerPair } from "./server-pair.js";

let pair: ServerPair;
let clients: { fast: TaskClient; plain: TaskClient };

beforeAll(async () => {
  pair = await startServerPair();
  clients = { fast: new TaskClient({ baseUrl: pair.fast.url }), plain: new TaskClient({ baseUrl: pair.plain.url }) };
});

afterAll(async () => {
  await pair?.stop();
  expect(pair?.logged).toEqual([]);
});

/** A task with its id blanked: two servers make different ids, and nothing else may differ. */
const anonymous = (t: Task) => ({ ...t, id: "#" });

/** What a failed call shows a caller. */
async function failureOf(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(err)}`);
  return { code: err.code, message: err.rawMessage, reason: reasonOf(err), field: fieldOf(err) };
}

describe("TaskClient", () => {
  it("enqueues and reads back the same task from either server", async () => {
    const spec = { category: "sdk-ok", priority: "high" as const, args: ["a"], kwargs: { n: 1 }, maxRetries: 2 };
    const [a, b] = [await clients.fast.enqueue("job", spec), await clients.plain.enqueue("job", spec)];
    expect(anonymous(a)).toEqual(anonymous(b));
    expect(await clients.fast.get(b.id)).toEqual(await clients.plain.get(b.id));
    const many = [await clients.fast.enqueueMany([{ name: "m", category: "sdk-ok" }, { name: "m", category: "sdk-ok" }]), await clients.plain.enqueueMany([{ name: "m", category: "sdk-ok" }, { name: "m", category: "sdk-ok" }])];
    expect(many[0]!.map(anonymous)).toEqual(many[1]!.map(anonymous));
    expect(await clients.fast.cancel(a.id)).toEqual({ task: expect.objectContaining({ id: a.id, status: "cancelled" }), cancelled: true });
  });

  it.each([
    ["NOT_FOUND", (c: TaskClient) => c.get("01890000-0000-7000-8000-000000000000"), "TASK_NOT_FOUND"],
    ["INVALID_ARGUMENT with its field", (c: TaskClient) => c.enqueue("bad name", { category: "sdk-err" }), "INVALID_ARGUMENT"],
    ["a malformed id", (c: TaskClient) => c.get("nope"), "INVALID_ARGUMENT"],
  ] as const)("%s: the same error from either server", async (_, call, reason) => {
    const [a, b] = [await failureOf(call(clients.fast)), await failureOf(call(clients.plain))];
    expect(a.reason).toBe(reason);
    expect(a).toEqual(b);
  });
});

describe("Worker", () => {
  it("runs a task to the same end on either server, and its long-poll leaves with it", async () => {
    const run = async (which: "fast" | "plain") => {
      const category = `sdk-worker-${which}`;
      const worker = new Worker({ baseUrl: pair[which].url, category, workerId: "w-sdk", pollWaitMs: 30_000, log: { warn() {}, error() {} } });
      worker.register("double", ({ args: [x] }) => ({ doubled: (x as number) * 2 }));
      await worker.start();
      try {
        const task = await clients[which].enqueue("double", { category, args: [21] });
        return await clients[which].waitFor(task.id, { timeoutMs: 10_000 });
      } finally {
        await worker.stop();
      }
    };
    const [a, b] = [await run("fast"), await run("plain")];
    expect(a).toMatchObject({ status: "success", result: { doubled: 42 } });
    expect({ ...anonymous(a), category: "" }).toEqual({ ...anonymous(b), category: "" });
    // A stopped worker's waiting long-poll is cut: the scheduler must not keep it.
    await vi.waitFor(() => expect(pair.scheduler.load().pollers).toBe(0), { timeout: 5_000, interval: 20 });
  });
});
