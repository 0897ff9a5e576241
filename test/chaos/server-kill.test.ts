/**
 * `kill -9` of the server under load: producers enqueue and SDK Workers run tasks while the
 * server process is killed at a random moment and started again on the same file and port.
 */
import { setTimeout as pause } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient, isRetryable, type Task } from "@gobq/sdk";
import { cleanUp, until } from "../sdk/worker-harness.js";
import { startFileServer } from "./file-server.js";
import { RunLog, recordedWorkers } from "./run-log.js";

afterEach(cleanUp);

const TASKS = 300;

/**
 * Whether an enqueue failed the way a server outage makes it fail: with a retryable code,
 * or CANCELED — what connect-node reports for a call whose connection died under it
 * (gRPC's status-code table says UNAVAILABLE for that case).
 */
function failedByOutage(err: unknown): boolean {
  return isRetryable(err) || (err instanceof ConnectError && err.code === Code.Canceled);
}

describe("server SIGKILL under load", () => {
  it("keeps every acknowledged enqueue, finishes every task, and runs twice only tasks leased at the crash", async ({ annotate }) => {
    const server = await startFileServer();
    const client = new TaskClient({ baseUrl: server.url });
    const log = new RunLog();
    await recordedWorkers(server.url, "load", log, { count: 2, concurrency: 4, workMs: () => 10 + Math.random() * 40 });

    // Four producer loops (so enqueues also travel in batches) until TASKS are acknowledged,
    // going on after failures. What the kill interrupts decides nothing: each enqueue is
    // either acknowledged, and must be found, or failed, and may or may not exist.
    const acked: string[] = [];
    const unexpected: unknown[] = [];
    const deadline = Date.now() + 60_000;
    const producers = Array.from({ length: 4 }, async () => {
      for (let calls = 0; calls < TASKS * 10 && acked.length < TASKS && Date.now() < deadline; calls++) {
        try {
          acked.push((await client.enqueue("job", { category: "load", maxRetries: 5, retry: { initialMs: 50, maxMs: 200 } })).id);
          await pause(5);
        } catch (err) {
          if (!failedByOutage(err)) unexpected.push(err);
          await pause(200);
        }
      }
    });

    // The kill comes after a random share (20–70 %) of the acknowledged enqueues.
    const killAfter = Math.floor(TASKS * (0.2 + Math.random() * 0.5));
    await until("enough enqueues are acknowledged", () => acked.length >= killAfter, 30_000);
    const killedAt = Date.now();
    expect(await server.process.stop("SIGKILL")).toBe("SIGKILL");
    await server.restart();
    const backAt = Date.now();
    await Promise.all(producers);
    expect(unexpected).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(TASKS);

    await until("every stored task has finished", async () => {
      const stats = await client.stats();
      return stats.byStatus.success === stats.total;
    }, 60_000);
    const stored = new Map<string, Task>();
    for await (const t of client.list({ category: "load", pageSize: 1000 })) stored.set(t.id, t);
    // Every acknowledged enqueue is there (and tasks whose answer the kill cut off may be too).
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored.values()].filter((t) => t.status !== "success")).toEqual([]);
    // Every stored task ran, at most twice, and twice only if a worker held its lease at the
    // crash (its handler running, or its completion not yet accepted).
    expect([...stored.keys()].filter((id) => !log.runs.has(id))).toEqual([]);
    const doubles = log.doubleRuns();
    const held = log.heldAt(killedAt, backAt);
    expect(doubles.filter((id) => !held.has(id))).toEqual([]);
    expect(doubles.filter((id) => log.runs.get(id)!.length > 2)).toEqual([]);
    const line =
      `killed after ${killAfter} acknowledged enqueues: ${held.size} leases held at the crash (8 worker slots), ` +
      `${doubles.length} tasks ran twice, ${stored.size - acked.length} unacknowledged enqueues stored`;
    console.info(`server SIGKILL under load: ${line}`);
    await annotate(line);
  }, 120_000);
});
