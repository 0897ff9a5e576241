/** The Worker's `prefetch`: tasks leased ahead of free slots, kept leased while they wait. */
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import type { HeartbeatTaskResponse } from "@gobq/sdk/gen/worker_service_pb.js";
import { cleanUp, gate, serverAndClient, testWorker, until } from "./worker-harness.js";

afterEach(cleanUp);

describe("Worker prefetch", () => {
  it("holds up to concurrency + prefetch leased tasks, runs at most concurrency at once, each once", async () => {
    const { server, client } = await serverAndClient();
    const w = testWorker({ baseUrl: server.url, category: "c", concurrency: 2, prefetch: 3 });
    const release = gate();
    const runs = new Map<string, number>();
    let now = 0;
    let most = 0;
    w.register("job", async ({ task }) => {
      runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
      most = Math.max(most, ++now);
      await release.promise;
      now--;
      return null;
    });
    const tasks = await client.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ name: "job", category: "c", args: [i] })));
    await w.start();
    await until("five tasks are leased", async () => (await client.stats()).byStatus.started === 5);
    expect(w.running).toBe(2);
    expect((await client.stats()).byStatus.pending).toBe(5);
    release.open();
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 10_000 })));
    expect(done.every((t) => t.status === "success" && t.attempt === 1)).toBe(true);
    expect(most).toBe(2);
    expect([...runs.values()]).toEqual(Array(10).fill(1));
  });

  it("keeps the leases of waiting tasks alive with heartbeats", async () => {
    const { server, client } = await serverAndClient();
    // A 1 s lease, and a first handler that runs three times as long: the waiting task
    // would lose its lease (and be retried) if it were not heartbeated.
    const w = testWorker({ baseUrl: server.url, category: "c", concurrency: 1, prefetch: 1, leaseMs: 1000 });
    const attempts: number[] = [];
    w.register("job", async ({ task }) => {
      attempts.push(task.attempt);
      if (task.args[0] === "slow") await new Promise((r) => setTimeout(r, 3000));
      return null;
    });
    const slow = await client.enqueue("job", { category: "c", args: ["slow"], maxRetries: 0 });
    const next = await client.enqueue("job", { category: "c", args: ["next"], maxRetries: 0 });
    await w.start();
    expect(await client.waitFor(slow.id, { timeoutMs: 10_000 })).toMatchObject({ status: "success", attempt: 1 });
    expect(await client.waitFor(next.id, { timeoutMs: 10_000 })).toMatchObject({ status: "success", attempt: 1 });
    expect(attempts).toEqual([1, 1]);
  });

  it("does not run a waiting task that is cancelled; it ends CANCELLED", async () => {
    const { server, client } = await serverAndClient();
    let cancelsHeard = 0;
    const hearCancels: Interceptor = (next) => async (req) => {
      const res = await next(req);
      if (req.method.name === "HeartbeatTask" && (res.message as HeartbeatTaskResponse).cancelRequested) cancelsHeard++;
      return res;
    };
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [hearCancels] });
    const w = testWorker({ transport, category: "c", concurrency: 1, prefetch: 1, leaseMs: 1500 });
    const release = gate();
    const ran: string[] = [];
    w.register("job", async ({ task }) => {
      ran.push(task.args[0] as string);
      if (task.args[0] === "first") await release.promise;
      return null;
    });
    const first = await client.enqueue("job", { category: "c", args: ["first"] });
    const waiting = await client.enqueue("job", { category: "c", args: ["waiting"] });
    await w.start();
    await until("both are leased", async () => (await client.stats()).byStatus.started === 2);
    await client.cancel(waiting.id);
    // The waiting task's heartbeat (every 500 ms) brings the cancel to the worker.
    await until("the worker heard the cancel", () => cancelsHeard > 0);
    release.open();
    expect(await client.waitFor(waiting.id, { timeoutMs: 10_000 })).toMatchObject({ status: "cancelled" });
    expect(await client.waitFor(first.id, { timeoutMs: 10_000 })).toMatchObject({ status: "success" });
    expect(ran).toEqual(["first"]);
  });

  it("hands waiting tasks back at stop without running them or using a retry", async () => {
    const { server, client } = await serverAndClient();
    const ran: string[] = [];
    const hold = gate();
    const first = testWorker({ baseUrl: server.url, category: "c", concurrency: 1, prefetch: 2 });
    first.register("job", async ({ task }) => {
      ran.push(task.id);
      await hold.promise;
      return null;
    });
    const tasks = await client.enqueueMany(Array.from({ length: 3 }, (_, i) => ({ name: "job", category: "c", args: [i], maxRetries: 0 })));
    await first.start();
    await until("three are leased", async () => (await client.stats()).byStatus.started === 3);
    const stopped = first.stop({ graceMs: 10_000 });
    // The two waiting are back at once, while the running one may still finish.
    await until("two are pending again", async () => (await client.stats()).byStatus.pending === 2);
    expect(ran).toHaveLength(1);
    hold.open();
    await stopped;
    const second = testWorker({ baseUrl: server.url, category: "c", concurrency: 1 });
    second.register("job", async ({ task }) => void ran.push(task.id));
    await second.start();
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 10_000 })));
    expect(done.map((t) => [t.status, t.retryCount])).toEqual([
      ["success", 0],
      ["success", 0],
      ["success", 0],
    ]);
    expect(ran.sort()).toEqual(tasks.map((t) => t.id).sort());
  });
});
