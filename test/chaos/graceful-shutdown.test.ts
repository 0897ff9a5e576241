/**
 * SIGTERM while workers hold leases, watchers stream and calls are in flight: the calls
 * finish, the streams end cleanly, the process exits 0 with its file closed, and the next
 * start resumes exactly where this one stopped.
 */
import { readdirSync } from "node:fs";
import { setTimeout as pause } from "node:timers/promises";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskPriority, TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { cleanUp, until } from "../sdk/worker-harness.js";
import { grpcClients } from "../support/clients.js";
import { outcome } from "./call-outcome.js";
import { startFileServer } from "./file-server.js";

afterEach(cleanUp);

/** Reads a stream to its end; resolves with what it read and how it ended. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; end: string }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items, end: "clean" };
  } catch (err) {
    return { items, end: err instanceof ConnectError ? Code[err.code] : String(err) };
  }
}

const PRIORITIES = [TaskPriority.LOW, TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.CRITICAL];

describe("graceful shutdown", () => {
  it("on SIGTERM finishes in-flight calls, ends streams cleanly, exits 0, and a restart resumes leases and order exactly", async ({ annotate }) => {
    const server = await startFileServer();
    const { tasks, workers } = grpcClients(server.url);

    // Queued work in mixed priorities, and three tasks a worker holds with a long lease.
    const queued: Array<{ id: string; priority: TaskPriority }> = [];
    for (let i = 0; i < 12; i++) {
      const priority = PRIORITIES[i % 4]!;
      queued.push({ id: (await tasks.enqueueTask({ name: "x", category: "queued", priority })).task!.id, priority });
    }
    const expectedOrder = [...queued].sort((a, b) => b.priority - a.priority).map((t) => t.id); // stable: FIFO within a priority
    for (let i = 0; i < 3; i++) await tasks.enqueueTask({ name: "x", category: "held" });
    const held = (await workers.leaseTasks({ category: "held", workerId: "w1", maxTasks: 3, leaseDuration: durationFromMs(60_000) })).tasks;
    expect(held).toHaveLength(3);
    const [toComplete, toBeat, untouched] = held as [typeof held[0], typeof held[0], typeof held[0]];

    // Streaming and waiting when the signal comes: a task's watch, a category's feed, a long-poll.
    const watch = drain(tasks.watchTask({ id: untouched.task!.id }));
    const feed = drain(tasks.watchTasks({ category: "queued" }));
    const poll = outcome(workers.leaseTasks({ category: "idle", workerId: "w2", wait: durationFromMs(30_000) }));
    await pause(300);

    // Calls in flight as SIGTERM arrives: producers enqueue and a worker heartbeats without
    // pause until refused, and a completion goes out with the signal. Each call is done (and
    // then durable) or refused unprocessed (and then without effect); none is cut off.
    const calls: Array<{ id: string | undefined; outcome: string; afterSignal: boolean }> = [];
    let signalled = false;
    const untilRefused = async (call: () => Promise<string | undefined>) => {
      for (let i = 0; i < 1000; i++) {
        let id: string | undefined;
        const o = await outcome(call().then((r) => (id = r)));
        calls.push({ id, outcome: o, afterSignal: signalled });
        if (o !== "OK") return;
      }
    };
    const loops = [
      ...Array.from({ length: 7 }, () => untilRefused(async () => (await tasks.enqueueTask({ name: "x", category: "late" })).task!.id)),
      untilRefused(async () => void (await workers.heartbeatTask({ taskId: toBeat.task!.id, leaseToken: toBeat.leaseToken, progress: 40 }))),
    ];
    await until("the calls are under way", () => calls.length >= 50);
    const complete = outcome(workers.completeTask({ taskId: toComplete.task!.id, leaseToken: toComplete.leaseToken }));
    const stopped = server.process.stop("SIGTERM");
    signalled = true;
    await Promise.all(loops);
    expect(await stopped).toBe(0);
    const answered = new Map<string, number>();
    for (const { outcome: o } of calls.filter((c) => c.afterSignal)) answered.set(o, (answered.get(o) ?? 0) + 1);
    const line = `calls answered after SIGTERM was sent: ${JSON.stringify(Object.fromEntries(answered))}`;
    console.info(`graceful shutdown: ${line}`);
    await annotate(line);
    for (const o of [...calls.map((c) => c.outcome), await complete]) expect(["OK", "Unavailable", "REFUSED_STREAM"]).toContain(o);
    expect(await poll).toBe("OK");
    const [watched, fed] = [await watch, await feed];
    expect(watched).toMatchObject({ end: "clean", items: [{ event: { task: { status: TaskStatus.STARTED } } }] });
    expect(fed.end).toBe("clean");
    // The file is closed: everything folded into it, no log segment or DuckDB journal left.
    expect(readdirSync(server.dir)).toEqual(["gobq.duckdb"]);

    await server.restart();
    // Every accepted call took effect; a refused one changed nothing.
    const lateStored = (await tasks.listTasks({ category: "late", pageSize: 1000 })).tasks.map((t) => t.id);
    expect(lateStored.sort()).toEqual(calls.flatMap((c) => (c.id === undefined ? [] : [c.id])).sort());
    const completed = (await tasks.getTask({ id: toComplete.task!.id })).task!;
    expect(completed.status).toBe((await complete) === "OK" ? TaskStatus.SUCCESS : TaskStatus.STARTED);
    // Leases held at shutdown are still held, by the same worker, until the same expiry.
    for (const l of [toBeat, untouched]) {
      const t = (await tasks.getTask({ id: l.task!.id })).task!;
      expect(t).toMatchObject({ status: TaskStatus.STARTED, lease: { workerId: "w1" } });
      if (l === untouched) expect(t.lease!.expiresAt).toEqual(l.task!.lease!.expiresAt);
      await workers.heartbeatTask({ taskId: l.task!.id, leaseToken: l.leaseToken });
    }
    // Queued tasks come back in exactly their order: priority first, then first in, first out.
    const order: string[] = [];
    for (let i = 0; i < queued.length + 1; i++) {
      const { tasks: got } = await workers.leaseTasks({ category: "queued", workerId: "w3", maxTasks: 1, wait: durationFromMs(0) });
      order.push(...got.map((l) => l.task!.id));
    }
    expect(order).toEqual(expectedOrder);
  }, 60_000);
});
