/**
 * The server goes away for a few seconds — longer than a lease — while an SDK Worker runs
 * and tasks wait: the worker backs off instead of hammering, resumes by itself when the
 * server is back, and nothing is lost or run twice except the tasks whose leases ran out.
 */
import { setTimeout as pause } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient } from "@gobq/sdk";
import { cleanUp, until } from "../sdk/worker-harness.js";
import { startFileServer } from "./file-server.js";
import { RunLog, recordedWorkers } from "./run-log.js";

afterEach(cleanUp);

const TASKS = 40;
const OUTAGE_MS = 2000;

describe("network loss", () => {
  it("the worker backs off while the server is away, resumes, and loses or repeats nothing beyond expired leases", async ({ annotate }) => {
    const server = await startFileServer();
    const client = new TaskClient({ baseUrl: server.url });
    const log = new RunLog();
    await recordedWorkers(server.url, "net", log, { count: 1, concurrency: 2, workMs: () => 100 });
    const tasks = await client.enqueueMany(
      Array.from({ length: TASKS }, () => ({ name: "job", category: "net", maxRetries: 3, retry: { initialMs: 100 } })),
    );
    await until("the worker is under way", () => log.runs.size >= 10, 15_000);

    const awayAt = Date.now();
    expect(await server.process.stop("SIGTERM")).toBe(0);
    const leaseCallsBefore = log.leaseCalls;
    await pause(OUTAGE_MS);
    await server.restart();
    const backAt = Date.now();
    // Backoff from 100 ms doubling to 10 s: a handful of calls, where a loop without it makes thousands.
    const callsWhileAway = log.leaseCalls - leaseCallsBefore;
    expect(callsWhileAway).toBeLessThanOrEqual(12);

    const done = await Promise.all(tasks.map((t) => client.waitFor(t.id, { timeoutMs: 30_000 })));
    expect(done.filter((t) => t.status !== "success")).toEqual([]);
    expect(tasks.filter((t) => !log.runs.has(t.id))).toEqual([]);
    const doubles = log.doubleRuns();
    const held = log.heldAt(awayAt, backAt);
    expect(doubles.filter((id) => !held.has(id))).toEqual([]);
    // A task runs again only as a new attempt, after its lease ran out.
    for (const t of done) expect(t.attempt).toBeGreaterThanOrEqual(log.runs.get(t.id)!.length);
    const line = `${callsWhileAway} lease calls while the server was away; ${held.size} leases held when it went, ${doubles.length} tasks ran twice`;
    console.info(`network loss: ${line}`);
    await annotate(line);
  }, 60_000);
});
