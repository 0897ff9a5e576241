/**
 * Three `gobq serve` replicas on one PostgreSQL schema, used the way a deployment behind a
 * load balancer is: producers and workers spread over the replicas.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { TaskPriority, TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { TaskClient, Worker } from "@gobq/sdk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { findTestPostgres, useFreshSchemas } from "../support/postgres.js";
import { grpcClients } from "../support/clients.js";
import { type GobqProcess, startGobq } from "../support/gobq-process.js";

const url = await findTestPostgres();

const quietLog = { info() {}, warn() {}, error() {} };

describe.skipIf(url === undefined)("three replicas on one PostgreSQL schema", { timeout: 120_000 }, () => {
  const freshSchema = useFreshSchemas(url!);
  const running: GobqProcess[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close().catch(() => {})));
    await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  });
  afterAll(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  });

  async function replicas(n: number) {
    const schema = freshSchema();
    const started: GobqProcess[] = [];
    // One at a time: the first creates the schema; the others find it migrated.
    for (let i = 0; i < n; i++) {
      const p = await startGobq(url!, ["--store-schema", schema]);
      running.push(p);
      started.push(p);
    }
    return started.map((p) => ({ p, ...grpcClients(p.url) }));
  }

  function worker(baseUrl: string, options: { concurrency: number; leaseMs?: number; workerId: string }) {
    const w = new Worker({ baseUrl, category: "rep", pollWaitMs: 2_000, log: quietLog, ...options });
    closers.push(() => w.stop({ graceMs: 0 }));
    return w;
  }

  it("leases in exact priority and FIFO order, whichever replica took each enqueue", async () => {
    const [a, b, c] = await replicas(3);
    const priorities = [TaskPriority.LOW, TaskPriority.HIGH, TaskPriority.NORMAL, TaskPriority.CRITICAL];
    const enqueued: Array<{ id: string; rank: number; i: number }> = [];
    // Each enqueue is answered before the next is sent, through the replicas in turn.
    for (let i = 0; i < 60; i++) {
      const via = [a, b, c][i % 3]!;
      const priority = priorities[(i * 5 + (i >> 2)) % 4]!;
      const { task } = await via!.tasks.enqueueTask({ name: "order", category: "rep", priority });
      enqueued.push({ id: task!.id, rank: priority, i });
    }
    const expected = [...enqueued].sort((x, y) => y.rank - x.rank || x.i - y.i).map((t) => t.id);
    const seen: string[] = [];
    while (seen.length < enqueued.length) {
      const { tasks } = await c!.workers.leaseTasks({
        category: "rep",
        workerId: "single",
        maxTasks: 1 + (seen.length % 3),
        leaseDuration: durationFromMs(60_000),
        wait: durationFromMs(1_000),
      });
      expect(tasks.length).toBeGreaterThan(0);
      seen.push(...tasks.map((t) => t.task!.id));
    }
    expect(seen).toEqual(expected);
  });

  it("runs every task once with workers on every replica, and a long-poll on one wakes for an enqueue on another", async () => {
    const nodes = await replicas(3);
    const runs = new Map<string, number>();
    let allRan!: () => void;
    const ran = new Promise<void>((resolve) => (allRan = resolve));
    for (const [i, node] of nodes.entries()) {
      const w = worker(node.p.url, { concurrency: 8, workerId: `w${i}`, leaseMs: 60_000 });
      w.register("count", ({ task }) => {
        runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
        if (runs.size === 3 * 150) allRan();
      });
      await w.start();
    }
    const producers = nodes.map((n) => new TaskClient({ baseUrl: n.p.url }));
    const ids = (
      await Promise.all(producers.map((p, i) => Promise.all(Array.from({ length: 150 }, (_, j) => p.enqueue("count", { category: "rep", args: [i, j] })))))
    )
      .flat()
      .map((t) => t.id);
    await ran;
    expect(runs.size).toBe(ids.length);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
    const stats = await nodes[0]!.tasks.getStats({});
    expect(Number(stats.total)).toBe(ids.length);
  });

  it("loses nothing when a replica is killed mid-run: its leased tasks come back after the lease", async () => {
    const [a, b] = await replicas(2);
    const ids = (
      await a!.tasks.enqueueTasks({ tasks: Array.from({ length: 40 }, (_, i) => ({ name: "slow", category: "rep", kwargs: { i }, maxRetries: 1 })) })
    ).tasks.map((t) => t.id);
    // A worker on replica a takes 10 tasks and never finishes them: replica a dies under it.
    const held = await a!.workers.leaseTasks({
      category: "rep",
      workerId: "doomed",
      maxTasks: 10,
      leaseDuration: durationFromMs(1_000),
      wait: durationFromMs(0),
    });
    expect(held.tasks).toHaveLength(10);
    await a!.p.stop("SIGKILL");
    const finished = new Set<string>();
    let allFinished!: () => void;
    const done = new Promise<void>((resolve) => (allFinished = resolve));
    const w = worker(b!.p.url, { concurrency: 8, workerId: "survivor", leaseMs: 30_000 });
    w.register("slow", ({ task }) => {
      finished.add(task.id);
      if (finished.size === ids.length) allFinished();
    });
    await w.start();
    await done;
    expect([...finished].sort()).toEqual([...ids].sort());
    for (const t of held.tasks) {
      const { task } = await b!.tasks.getTask({ id: t.task!.id });
      // The killed replica's lease expired: that attempt counted, and a second one ran.
      expect(task).toMatchObject({ attempt: 2, retryCount: 1 });
    }
  });

  it("streams changes made through one replica to a watcher on another", async () => {
    const [a, b] = await replicas(2);
    const { task } = await a!.tasks.enqueueTask({ name: "watched", category: "rep" });
    const statuses: TaskStatus[] = [];
    let opened!: () => void;
    const firstEvent = new Promise<void>((resolve) => (opened = resolve));
    const watching = (async () => {
      for await (const res of b!.tasks.watchTask({ id: task!.id })) {
        statuses.push(res.event!.task!.status);
        opened();
      }
    })();
    await firstEvent;
    const { tasks } = await a!.workers.leaseTasks({
      category: "rep",
      workerId: "w",
      maxTasks: 1,
      leaseDuration: durationFromMs(30_000),
      wait: durationFromMs(1_000),
    });
    await a!.workers.heartbeatTask({ taskId: task!.id, leaseToken: tasks[0]!.leaseToken, progress: 50, progressMessage: "half" });
    await a!.workers.completeTask({ taskId: task!.id, leaseToken: tasks[0]!.leaseToken });
    await watching;
    expect(statuses[0]).toBe(TaskStatus.PENDING);
    expect(statuses.at(-1)).toBe(TaskStatus.SUCCESS);
    expect(statuses).toContain(TaskStatus.STARTED);
  });
});
