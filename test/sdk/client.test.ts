/** TaskClient against the real server on port 0: what a producer observes. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient, fieldOf, isRetryable, reasonOf, type Task } from "@gobq/sdk";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";

let server: InProcessServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** A client whose transport counts the RPCs it makes, by method name. */
async function countingClient(options: { batchWindowMs?: number } = {}) {
  server = await startInProcessServer();
  const calls: string[] = [];
  const count: Interceptor = (next) => (req) => {
    calls.push(req.method.name);
    return next(req);
  };
  const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [count] });
  const workers = createClient(WorkerService, transport);
  return { client: new TaskClient({ transport, ...options }), calls, workers };
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("expected a failure");
}

describe("TaskClient", () => {
  it("enqueues with typed options and reads the task back in SDK terms", async () => {
    const { client } = await countingClient();
    type Tasks = { send_email: { args: [string]; kwargs: { subject: string }; result: { sent: boolean } } };
    const typed = client as unknown as TaskClient<Tasks>;
    const runAt = new Date(Date.now() + 60_000);
    const t = await typed.enqueue("send_email", {
      category: "notifications",
      priority: "high",
      args: ["a@b.c"],
      kwargs: { subject: "Hi" },
      maxRetries: 3,
      runAt,
      timeoutMs: 5000,
      idempotencyKey: "welcome-a@b.c",
      retry: { initialMs: 500, multiplier: 3 },
    });
    expect(t).toMatchObject({
      name: "send_email",
      category: "notifications",
      priority: "high",
      status: "pending",
      args: ["a@b.c"],
      kwargs: { subject: "Hi" },
      maxRetries: 3,
      retryCount: 0,
      timeoutMs: 5000,
      idempotencyKey: "welcome-a@b.c",
      retryPolicy: { initialMs: 500, maxMs: 60_000, multiplier: 3, jitter: 0 },
    });
    expect(t.runAt!.getTime()).toBe(runAt.getTime());
    expect(t.createdAt).toBeInstanceOf(Date);
    expect(await client.get(t.id)).toEqual(t);
  });

  it("batches concurrent enqueues into one RPC, each caller getting its own task", async () => {
    const { client, calls } = await countingClient();
    const tasks = await Promise.all(Array.from({ length: 300 }, (_, i) => client.enqueue("job", { kwargs: { i } })));
    expect(calls.filter((c) => c === "EnqueueTasks")).toHaveLength(1);
    expect(calls.filter((c) => c === "EnqueueTask")).toHaveLength(0);
    expect(tasks.map((t) => t.kwargs["i"])).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(new Set(tasks.map((t) => t.id)).size).toBe(300);
    expect((await client.stats()).total).toBe(300);
  });

  it("fails only the bad caller of a batch, locally or after the server refused the batch", async () => {
    const { client, calls } = await countingClient();
    const results = await Promise.allSettled([
      client.enqueue("ok", { kwargs: { n: 1 } }),
      client.enqueue("bad name"),
      client.enqueue("ok", { kwargs: { n: 2 } }),
      // Passes the client's checks, refused by the server (payload limit): the batch is retried one by one.
      client.enqueue("ok", { kwargs: { big: "x".repeat(1_100_000) } }),
      client.enqueue("ok", { kwargs: { n: 3 } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    const bad = (results[1] as PromiseRejectedResult).reason;
    expect(bad).toBeInstanceOf(ConnectError);
    expect([bad.code, fieldOf(bad)]).toEqual([Code.InvalidArgument, "name"]);
    const big = (results[3] as PromiseRejectedResult).reason;
    expect([big.code, fieldOf(big)]).toEqual([Code.InvalidArgument, "args"]);
    expect(calls.filter((c) => c === "EnqueueTasks")).toHaveLength(1);
    expect(calls.filter((c) => c === "EnqueueTask")).toHaveLength(4);
    expect((await client.stats()).total).toBe(3);
  });

  it("lists page by page, cancels, retries, purges and reports errors with reasons", async () => {
    const { client, workers } = await countingClient();
    const made = await client.enqueueMany(Array.from({ length: 25 }, (_, i) => ({ name: "job", kwargs: { i } })));
    const listed: Task[] = [];
    for await (const t of client.list({ pageSize: 10 })) listed.push(t);
    expect(listed.map((t) => t.id)).toEqual(made.map((t) => t.id).reverse());
    expect((await client.cancel(made[0]!.id)).cancelled).toBe(true);
    expect((await client.cancel(made[0]!.id)).cancelled).toBe(false);
    const leased = (await workers.leaseTasks({ category: "default", workerId: "w", maxTasks: 1 })).tasks[0]!;
    await workers.failTask({ taskId: leased.task!.id, leaseToken: leased.leaseToken, error: { message: "x" }, retryable: false });
    const r = await client.retry(leased.task!.id);
    expect(r).toMatchObject({ retried: true, task: { status: "pending" } });
    const cancelled: Task[] = [];
    for await (const t of client.list({ status: "cancelled" })) cancelled.push(t);
    expect(cancelled.map((t) => t.id)).toEqual([made[0]!.id]);
    await new Promise((res) => setTimeout(res, 5));
    expect(await client.purge({ olderThanMs: 0 })).toBe(1);
    const missing = await failure(client.get(made[0]!.id));
    expect([missing.code, reasonOf(missing), isRetryable(missing)]).toEqual([Code.NotFound, "TASK_NOT_FOUND", false]);
  });

  it("watches a task to its end and waits for it", async () => {
    const { client, workers } = await countingClient();
    const t = await client.enqueue("job");
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of client.watch(t.id)) seen.push(`${e.task.status}:${e.task.progress}`);
    })();
    const waiting = client.waitFor(t.id, { timeoutMs: 10_000 });
    await new Promise((res) => setTimeout(res, 50));
    const l = (await workers.leaseTasks({ category: "default", workerId: "w", maxTasks: 1 })).tasks[0]!;
    await workers.heartbeatTask({ taskId: t.id, leaseToken: l.leaseToken, progress: 60, progressMessage: "most" });
    await workers.completeTask({ taskId: t.id, leaseToken: l.leaseToken, result: create(ValueSchema, { kind: { case: "stringValue", value: "done" } }) });
    await watching;
    expect(seen).toEqual(["pending:0", "started:0", "started:60", "success:100"]);
    expect(await waiting).toMatchObject({ status: "success", result: "done" });
    const timeout = await failure(client.waitFor((await client.enqueue("never")).id, { timeoutMs: 100 }));
    expect(timeout.code).toBe(Code.DeadlineExceeded);
  });

  it("re-opens a dropped watch from the last change it saw", async () => {
    server = await startInProcessServer();
    // A transport that cuts the first watch stream after its first message, as a proxy might.
    let cut = false;
    const cutter: Interceptor = (next) => async (req) => {
      const res = await next(req);
      if (!res.stream || cut) return res;
      cut = true;
      return {
        ...res,
        message: (async function* () {
          for await (const m of res.message) {
            yield m;
            throw new ConnectError("stream cut", Code.Unavailable);
          }
        })(),
      };
    };
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [cutter] });
    const client = new TaskClient({ transport });
    const workers = createClient(WorkerService, transport);
    const t = await client.enqueue("job");
    const seqs: number[] = [];
    const watching = (async () => {
      for await (const e of client.watch(t.id)) seqs.push(e.seq);
    })();
    await new Promise((res) => setTimeout(res, 50));
    const l = (await workers.leaseTasks({ category: "default", workerId: "w", maxTasks: 1 })).tasks[0]!;
    await workers.completeTask({ taskId: t.id, leaseToken: l.leaseToken });
    await watching;
    expect(cut).toBe(true);
    expect(seqs[0]).toBe(1);
    expect(seqs[seqs.length - 1]).toBe(3);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // never backwards, nothing repeated
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("says a server that is down is worth retrying", async () => {
    const client = new TaskClient({ baseUrl: "http://127.0.0.1:1" });
    const err = await failure(client.get("0190c5e4-0000-7000-8000-000000000000"));
    expect(err.code).toBe(Code.Unavailable);
    expect(isRetryable(err)).toBe(true);
    // A watch that never got through fails at once instead of re-trying forever.
    const watchErr = await failure((async () => {
      for await (const _ of client.watch("0190c5e4-0000-7000-8000-000000000000")) void _;
    })());
    expect(watchErr.code).toBe(Code.Unavailable);
  });
});
