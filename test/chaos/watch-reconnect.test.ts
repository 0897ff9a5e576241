/**
 * A connection that dies under a call is an outage, not a cancel: the SDK reports it as
 * UNAVAILABLE (retryable), so `TaskClient.watch` re-opens after the server comes back,
 * missing nothing of the final state.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { TaskClient } from "@gobq/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { cleanUp } from "../sdk/worker-harness.js";
import { grpcClients } from "../support/clients.js";
import { startFileServer } from "./file-server.js";

afterEach(cleanUp);

describe("connection loss", () => {
  it("keeps a watch going across a SIGKILL and restart of the server", async () => {
    const server = await startFileServer();
    const client = new TaskClient({ baseUrl: server.url });
    const task = await client.enqueue("watched", { category: "wr" });
    const statuses: string[] = [];
    let opened!: () => void;
    const firstEvent = new Promise<void>((resolve) => (opened = resolve));
    const watching = (async () => {
      for await (const e of client.watch(task.id, { reconnectForMs: 30_000 })) {
        statuses.push(e.task.status);
        opened();
      }
    })();
    await firstEvent;
    await server.process.stop("SIGKILL");
    await server.restart();
    const raw = grpcClients(server.url);
    const { tasks } = await raw.workers.leaseTasks({
      category: "wr",
      workerId: "w",
      maxTasks: 1,
      leaseDuration: durationFromMs(30_000),
      wait: durationFromMs(5_000),
    });
    await raw.workers.completeTask({ taskId: task.id, leaseToken: tasks[0]!.leaseToken });
    await watching;
    expect(statuses[0]).toBe("pending");
    expect(statuses.at(-1)).toBe("success");
  });
});
