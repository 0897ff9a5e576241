/**
 * A LeaseTasks answer lost after its leases were committed (a crash, a broken connection):
 * the Worker's next lease call reclaims, so those tasks run now on their first attempt,
 * not after their leases expire — and what the worker holds is not handed back twice.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import type { LeaseTasksResponse } from "@gobq/sdk/gen/worker_service_pb.js";
import { cleanUp, gate, serverAndClient, testWorker, until } from "./worker-harness.js";

afterEach(cleanUp);

const LOST = new ConnectError("the connection was lost", Code.Unavailable);

describe("Worker reclaiming lost lease answers", () => {
  it("runs the tasks of a lost answer at once, on their first attempt, with no retries to spare", async () => {
    const { server, client } = await serverAndClient();
    let lostTasks = 0;
    const loseFirstAnswer: Interceptor = (next) => async (req) => {
      const res = await next(req);
      const leased = req.method.name === "LeaseTasks" ? (res.message as LeaseTasksResponse).tasks.length : 0;
      if (leased > 0 && lostTasks === 0) {
        lostTasks = leased;
        throw LOST; // committed on the server, never seen by the worker
      }
      return res;
    };
    const tasks = await client.enqueueMany(Array.from({ length: 3 }, (_, i) => ({ name: "job", category: "c", args: [i], maxRetries: 0 })));
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [loseFirstAnswer] });
    // Leases far longer than the wait below: only a reclaim can finish the tasks in time.
    const w = testWorker({ transport, category: "c", concurrency: 4, leaseMs: 120_000 });
    const attempts: number[] = [];
    w.register("job", ({ task }) => void attempts.push(task.attempt));
    await w.start();
    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 15_000 })));
    expect(lostTasks).toBe(3);
    expect(done.map((t) => [t.status, t.attempt])).toEqual([
      ["success", 1],
      ["success", 1],
      ["success", 1],
    ]);
    expect(attempts).toEqual([1, 1, 1]);
  });

  it("does not get back a task it holds when a lease call fails while the task runs", async () => {
    const { server, client } = await serverAndClient();
    let leaseCalls = 0;
    const failSecondCall: Interceptor = (next) => async (req) => {
      if (req.method.name === "LeaseTasks" && ++leaseCalls === 2) throw LOST;
      return next(req);
    };
    const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [failSecondCall] });
    const w = testWorker({ transport, category: "c", concurrency: 2, leaseMs: 120_000 });
    const release = gate();
    const runs = new Map<string, number>();
    w.register("job", async ({ task }) => {
      runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
      if (task.args[0] === "held") await release.promise;
      return null;
    });
    const held = await client.enqueue("job", { category: "c", args: ["held"] });
    await w.start();
    await until("the first task runs", () => runs.has(held.id));
    await until("a lease call failed and the worker polled again", () => leaseCalls >= 3);
    const later = await client.enqueue("job", { category: "c", args: ["later"] });
    expect(await client.waitFor(later.id, { timeoutMs: 15_000 })).toMatchObject({ status: "success", attempt: 1 });
    release.open();
    expect(await client.waitFor(held.id, { timeoutMs: 15_000 })).toMatchObject({ status: "success", attempt: 1 });
    expect([...runs.values()]).toEqual([1, 1]);
  });
});
