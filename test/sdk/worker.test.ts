/** The SDK Worker against the real server on port 0: what a user of a worker observes. */
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { NonRetryableError, TaskClient, type TaskAbortedError, type Task } from "@gobq/sdk";
import { startGobq, tempDir } from "../support/gobq-process.js";
import { cleanUp, gate, onCleanup, recordingLog, serverAndClient, spawnChildWorker, testWorker, until } from "./worker-harness.js";

afterEach(cleanUp);

const reasonOf = (signal: AbortSignal) => (signal.reason as TaskAbortedError).reason;

describe("Worker", () => {
  it("runs every task once across many workers, never more than `concurrency` at once each", async () => {
    const { server, client } = await serverAndClient();
    const runs = new Map<string, number>();
    const workers = Array.from({ length: 3 }, () => {
      const w = testWorker({ baseUrl: server.url, category: "bulk", concurrency: 4 });
      const stats = { now: 0, max: 0 };
      w.register("job", async ({ task }) => {
        runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
        stats.max = Math.max(stats.max, ++stats.now);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        stats.now--;
        return { id: task.id };
      });
      return { w, stats };
    });
    await Promise.all(workers.map(({ w }) => w.start()));
    const tasks = await client.enqueueMany(Array.from({ length: 90 }, (_, i) => ({ name: "job", category: "bulk", args: [i] })));
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 15_000 })));
    expect(done.every((t) => t.status === "success" && t.attempt === 1)).toBe(true);
    expect(done.map((t) => t.result)).toEqual(tasks.map((t) => ({ id: t.id })));
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(90);
    for (const { stats } of workers) expect(stats.max).toBeLessThanOrEqual(4);
  });

  it("fills its slots but never runs more than `concurrency` handlers at once", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c", concurrency: 3 });
    const release = gate();
    let now = 0;
    let max = 0;
    w.register("job", async () => {
      max = Math.max(max, ++now);
      await release.promise;
      now--;
    });
    await w.start();
    const tasks = await client.enqueueMany(Array.from({ length: 8 }, () => ({ name: "job", category: "c" })));
    await until("three handlers run", () => now === 3);
    // The other five stay queued while the slots are full.
    const queued = (await Promise.all(tasks.map((t) => client.get(t.id)))).filter((t) => t.status === "pending");
    expect(queued).toHaveLength(5);
    release.open();
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 10_000 })));
    expect(done.map((t) => t.status)).toEqual(Array(8).fill("success"));
    expect(max).toBe(3);
  });

  it("sends acks finishing in the same tick as one CompleteTasks call", async () => {
    const { server, client } = await serverAndClient();
    const calls: string[] = [];
    const count: Interceptor = (next) => (req) => {
      calls.push(req.method.name);
      return next(req);
    };
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [count] });
    const w = testWorker({ transport, category: "c", concurrency: 5 });
    const release = gate();
    let started = 0;
    w.register("job", async ({ task }) => {
      started++;
      await release.promise;
      return task.kwargs["n"] ?? null;
    });
    await w.start();
    const tasks = await client.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: "job", category: "c", kwargs: { n } })));
    await until("all five run", () => started === 5);
    release.open();
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 10_000 })));
    expect(done.map((t) => t.result)).toEqual([0, 1, 2, 3, 4]);
    expect(calls.filter((c) => c === "CompleteTasks")).toHaveLength(1);
    expect(calls.filter((c) => c === "CompleteTask")).toHaveLength(0);
  });

  it("streams progress to a watcher while the task runs", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c" });
    const seen = gate();
    w.register("job", async ({ progress }) => {
      progress(30, "downloading");
      // Hold until the watcher has seen it — proof that it arrived while the task ran.
      await Promise.race([seen.promise, new Promise((r) => setTimeout(r, 5000))]);
      progress(80, "encoding");
      return "ok";
    });
    await w.start();
    const task = await client.enqueue("job", { category: "c" });
    const events: Array<Pick<Task, "status" | "progress" | "progressMessage">> = [];
    for await (const { task: t } of client.watch(task.id)) {
      events.push({ status: t.status, progress: t.progress, progressMessage: t.progressMessage });
      if (t.progress === 30) seen.open();
    }
    expect(events).toContainEqual({ status: "started", progress: 30, progressMessage: "downloading" });
    expect(events.at(-1)).toMatchObject({ status: "success", progress: 100 });
  });

  it("aborts the handler's signal when its running task is cancelled, and the task ends CANCELLED", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c", leaseMs: 1500 });
    const running = gate();
    let reason: string | undefined;
    w.register("job", async ({ signal }) => {
      running.open();
      await new Promise((r) => signal.addEventListener("abort", r));
      reason = reasonOf(signal);
      throw signal.reason;
    });
    await w.start();
    const task = await client.enqueue("job", { category: "c", maxRetries: 3 });
    await running.promise;
    expect((await client.cancel(task.id)).cancelled).toBe(true);
    const done = await client.waitFor(task.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("cancelled");
    expect(reason).toBe("cancelled");
  });

  it("fails at once on NonRetryableError, whatever retries are left", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c" });
    let runs = 0;
    w.register("job", () => {
      runs++;
      throw new NonRetryableError("bad input");
    });
    await w.start();
    const task = await client.enqueue("job", { category: "c", maxRetries: 3, retry: { initialMs: 50 } });
    const done = await client.waitFor(task.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "failed", retryCount: 0, error: { message: "bad input", type: "NonRetryableError" } });
    expect(runs).toBe(1);
  });

  it("retries a plain throw, recording the error's message and class", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c" });
    class FlakyError extends Error {}
    const attempts: number[] = [];
    w.register("job", ({ task }) => {
      attempts.push(task.attempt);
      throw new FlakyError(`try ${task.attempt}`);
    });
    await w.start();
    const task = await client.enqueue("job", { category: "c", maxRetries: 2, retry: { initialMs: 50 } });
    const done = await client.waitFor(task.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "failed", retryCount: 2, attempt: 3, error: { message: "try 3", type: "FlakyError" } });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("aborts a handler past the task's timeout and fails the attempt for good", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c" });
    let reason: string | undefined;
    w.register("job", async ({ signal }) => {
      await new Promise((r) => signal.addEventListener("abort", r));
      reason = reasonOf(signal);
    });
    await w.start();
    const task = await client.enqueue("job", { category: "c", timeoutMs: 300, maxRetries: 2 });
    const done = await client.waitFor(task.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "failed", retryCount: 0, error: { message: "timeout", type: "Timeout" } });
    expect(reason).toBe("timeout");
  });

  it("fails a task whose handler returns what is not JSON, saying so", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c" });
    w.register("big", () => ({ n: 10n }) as never);
    w.register("nothing", () => undefined);
    await w.start();
    const big = await client.enqueue("big", { category: "c", maxRetries: 2 });
    const nothing = await client.enqueue("nothing", { category: "c" });
    const failed = await client.waitFor(big.id, { timeoutMs: 10_000 });
    expect(failed).toMatchObject({ status: "failed", retryCount: 0, error: { type: "InvalidResult" } });
    expect(failed.error!.message).toMatch(/not JSON: result\.n is a bigint/);
    expect(await client.waitFor(nothing.id, { timeoutMs: 10_000 })).toMatchObject({ status: "success", result: undefined });
  });

  it("warns once when a sync handler blocks the event loop for more than a third of the lease", async () => {
    const { server, client } = await serverAndClient();
    const log = recordingLog();
    const w = testWorker({ baseUrl: server.url, category: "c", leaseMs: 1000, log });
    w.register("crunch", () => {
      const until = Date.now() + 400;
      while (Date.now() < until); // CPU-bound on purpose
      return "done";
    });
    await w.start();
    const tasks = await client.enqueueMany([{ name: "crunch", category: "c" }, { name: "crunch", category: "c" }]);
    for (const t of tasks) expect((await client.waitFor(t.id, { timeoutMs: 10_000 })).status).toBe("success");
    const warnings = log.lines.filter((l) => l.includes('handler of "crunch" blocked the event loop'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/worker thread/);
  });

  it("refuses to start without a handler", async () => {
    const w = testWorker({ baseUrl: "http://127.0.0.1:9", category: "c" });
    await expect(w.start()).rejects.toThrow(/register at least one/);
  });

  it("loses the task of a worker killed with SIGKILL to another worker once the lease runs out", async () => {
    const { server, client } = await serverAndClient();
    const { child, started } = spawnChildWorker(server.url, "kill");
    const task = await client.enqueue("hold", { category: "kill", maxRetries: 1, retry: { initialMs: 50 } });
    expect(await started).toBe(task.id);
    child.kill("SIGKILL");
    const w = testWorker({ baseUrl: server.url, category: "kill" });
    w.register("hold", ({ task }) => `attempt ${task.attempt}`);
    await w.start();
    const done = await client.waitFor(task.id, { timeoutMs: 15_000 });
    expect(done).toMatchObject({ status: "success", attempt: 2, retryCount: 1, result: "attempt 2" });
  });

  it("with handleSignals, SIGTERM finishes the running task and the process exits by itself", async () => {
    const { server, client } = await serverAndClient();
    const { child, started, exited } = spawnChildWorker(server.url, "term");
    const task = await client.enqueue("brief", { category: "term" });
    expect(await started).toBe(task.id);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await client.get(task.id)).toMatchObject({ status: "success", result: "brief done" });
  });

  it("stop() lets in-flight handlers finish within grace, then hands the rest back", async () => {
    const { server, client } = await serverAndClient();
    const a = testWorker({ baseUrl: server.url, category: "c", concurrency: 2 });
    const both = { quick: gate(), slow: gate() };
    let slowReason: string | undefined;
    a.register("quick", async () => {
      both.quick.open();
      await new Promise((r) => setTimeout(r, 300));
      return "quick done";
    });
    a.register("slow", async ({ signal }) => {
      both.slow.open();
      await new Promise((r) => signal.addEventListener("abort", r));
      slowReason = reasonOf(signal);
      throw signal.reason;
    });
    await a.start();
    const quick = await client.enqueue("quick", { category: "c" });
    const slow = await client.enqueue("slow", { category: "c", maxRetries: 3 });
    await Promise.all([both.quick.promise, both.slow.promise]);
    const stopping = a.stop({ graceMs: 1000 });
    const later = await client.enqueue("quick", { category: "c" });
    await stopping;
    expect(await client.get(quick.id)).toMatchObject({ status: "success", result: "quick done" });
    expect(await client.get(slow.id)).toMatchObject({ status: "pending", retryCount: 0 });
    expect(slowReason).toBe("shutdown");
    expect((await client.get(later.id)).status).toBe("pending"); // no lease after stop()
    const b = testWorker({ baseUrl: server.url, category: "c" });
    b.register("slow", () => "slow done by b");
    b.register("quick", () => "later done by b");
    await b.start();
    expect(await client.waitFor(slow.id, { timeoutMs: 10_000 })).toMatchObject({
      status: "success",
      result: "slow done by b",
      retryCount: 0,
      attempt: 2,
    });
    expect((await client.waitFor(later.id, { timeoutMs: 10_000 })).result).toBe("later done by b");
  });

  it("survives the server going away and coming back, logging the outage once and delivering acks late", async () => {
    const tmp = tempDir();
    onCleanup(tmp.cleanup);
    const store = `duckdb:${tmp.dir}/gobq.duckdb`;
    let server = await startGobq(store);
    onCleanup(() => server.stop("SIGKILL"));
    const port = new URL(server.url).port;
    const client = new TaskClient({ baseUrl: server.url });
    const log = recordingLog();
    // A lease long enough to outlast the restart: the ack of a task that finishes meanwhile still counts.
    const w = testWorker({ baseUrl: server.url, category: "c", concurrency: 2, leaseMs: 15_000, log });
    const running = gate();
    const release = gate();
    w.register("job", ({ args }) => args[0] ?? null);
    w.register("hold", async () => {
      running.open();
      await release.promise;
      return "finished while the server was away";
    });
    await w.start();
    const before = await client.enqueue("job", { category: "c", args: ["before"] });
    expect((await client.waitFor(before.id, { timeoutMs: 10_000 })).result).toBe("before");
    const held = await client.enqueue("hold", { category: "c" });
    await running.promise;

    await server.stop();
    await until("the worker notices the outage", () => log.lines.some((l) => l.includes("failed")));
    release.open();
    // Let it fail and back off a few more times while the server is down.
    await new Promise((r) => setTimeout(r, 1000));
    server = await startGobq(store, ["--listen", `127.0.0.1:${port}`]);
    expect(server.url).toBe(`http://127.0.0.1:${port}`);

    const after = await client.enqueue("job", { category: "c", args: ["after"] });
    expect((await client.waitFor(after.id, { timeoutMs: 15_000 })).result).toBe("after");
    expect(await client.waitFor(held.id, { timeoutMs: 15_000 })).toMatchObject({
      status: "success",
      attempt: 1,
      result: "finished while the server was away",
    });
    expect(log.lines.filter((l) => l.includes("failed"))).toHaveLength(1);
    expect(log.lines.filter((l) => l.includes("works again"))).toHaveLength(1);
  });
});
