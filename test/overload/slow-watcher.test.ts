/**
 * A watcher that stops reading cannot make the server buffer without bound: while its stream
 * is stalled (HTTP/2 flow control holds the server's writes), progress events of the task
 * replace each other — latest wins — and the final status still arrives when it reads again.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { cleanUp, onCleanup } from "../sdk/worker-harness.js";
import { startInProcessServer } from "../support/in-process-server.js";

afterEach(cleanUp);

const HEARTBEATS = 1000;
const AT_ONCE = 50;

describe("a slow watcher", () => {
  it("gets the latest progress and the final status after reading nothing through a thousand heartbeats; the server buffers next to nothing meanwhile", async () => {
    const server = await startInProcessServer();
    onCleanup(() => server.stop());
    const producer = createGrpcTransport({ baseUrl: server.url });
    const tasks = createClient(TaskService, producer);
    const workers = createClient(WorkerService, producer);
    // Its own connection, so that its stalled stream holds back nothing else; a small receive
    // window, so that the server's writes stall sooner.
    const watcher = createClient(TaskService, createGrpcTransport({ baseUrl: server.url, nodeOptions: { settings: { initialWindowSize: 4096 } } }));

    const { task } = await tasks.enqueueTask({ name: "long" });
    const [leased] = (await workers.leaseTasks({ category: "default", workerId: "w", wait: durationFromMs(0) })).tasks;
    const stream = watcher.watchTask({ id: task!.id })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.event?.task?.status).toBe(TaskStatus.STARTED);

    const heartbeat = (progress: number, progressMessage: string) =>
      workers.heartbeatTask({ taskId: task!.id, leaseToken: leased!.leaseToken, progress, progressMessage });
    let mostBuffered = 0;
    for (let i = 0; i < HEARTBEATS; i += AT_ONCE) {
      await Promise.all(Array.from({ length: AT_ONCE }, (_, j) => heartbeat((i + j) % 100, `step ${i + j}`)));
      mostBuffered = Math.max(mostBuffered, Number((await tasks.getStats({})).bufferedWatchEvents));
    }
    await heartbeat(100, "last");
    await workers.completeTask({ taskId: task!.id, leaseToken: leased!.leaseToken });

    const seen: Array<{ status: TaskStatus; message: string; seq: bigint }> = [];
    for (let r = await stream.next(); !r.done; r = await stream.next()) {
      const t = r.value.event!.task!;
      seen.push({ status: t.status, message: t.progressMessage, seq: r.value.event!.seq });
    }
    expect(seen.at(-1)?.status).toBe(TaskStatus.SUCCESS);
    expect(seen.at(-2)).toMatchObject({ status: TaskStatus.STARTED, message: "last" });
    expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((a, b) => (a < b ? -1 : 1)));
    // Most of the progress was coalesced away rather than queued for the stalled watcher...
    expect(seen.length).toBeLessThan(HEARTBEATS / 2);
    // ...and what waited in the server for it was one event at a time, however far behind it was.
    expect(mostBuffered).toBeLessThanOrEqual(1);
    expect(Number((await tasks.getStats({})).bufferedWatchEvents)).toBe(0);
  });
});
