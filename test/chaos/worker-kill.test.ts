/**
 * `kill -9` of a worker process in the middle of a task (test/sdk/worker-child.ts, 1 s
 * leases, the minimum the server allows): the lease runs out, the attempt counts, and the
 * retry policy decides — also for a task that kills every worker that runs it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient, type Task } from "@gobq/sdk";
import { cleanUp, spawnChildWorker, until } from "../sdk/worker-harness.js";
import { startFileServer } from "./file-server.js";

afterEach(cleanUp);

describe("worker SIGKILL mid-task", () => {
  it("leases the task again after its lease runs out, counting each attempt, and ends FAILED after max_retries + 1", async () => {
    const server = await startFileServer();
    const client = new TaskClient({ baseUrl: server.url });
    const maxRetries = 2;
    const task = await client.enqueue("hold", { category: "doomed", maxRetries, retry: { initialMs: 100, multiplier: 1 } });
    const events: Task[] = [];
    const watching = (async () => {
      for await (const e of client.watch(task.id)) events.push(e.task);
    })();

    // Each worker that leases the task is killed while it runs it, until the task ends.
    // Bounded: an endless loop of leases would fail the count below, not hang the test.
    const attempts: number[] = [];
    for (let kills = 0; kills < maxRetries + 3; kills++) {
      if ((await client.get(task.id)).status === "failed") break;
      const { child, started, exited } = spawnChildWorker(server.url, "doomed");
      expect(await started).toBe(task.id);
      const running = await client.get(task.id);
      expect(running).toMatchObject({ status: "started", retryCount: attempts.length });
      attempts.push(running.attempt);
      child.kill("SIGKILL");
      await exited;
      await until("the dead worker's lease runs out", async () => (await client.get(task.id)).status !== "started", 15_000);
    }
    await watching;

    expect(attempts).toEqual([1, 2, 3]);
    expect(await client.get(task.id)).toMatchObject({
      status: "failed",
      attempt: maxRetries + 1,
      retryCount: maxRetries,
      error: { type: "LeaseExpired" },
      lease: undefined,
    });
    // Each expired lease went through the retry policy: RETRY with a time for the next
    // attempt, then PENDING again — never straight back to a worker, never lost.
    const retries = events.filter((t) => t.status === "retry");
    expect(retries.map((t) => t.retryCount)).toEqual([1, 2]);
    for (const t of retries) expect(t).toMatchObject({ error: { type: "LeaseExpired" }, nextAttemptAt: expect.any(Date) });
    expect(events.map((t) => t.status).filter((s, i, all) => s !== all[i - 1])).toEqual([
      "pending",
      "started",
      "retry",
      "pending",
      "started",
      "retry",
      "pending",
      "started",
      "failed",
    ]);
  }, 60_000);
});
