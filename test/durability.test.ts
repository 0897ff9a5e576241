/**
 * What `gobq serve` promises about its file: acknowledged work survives `kill -9`, leases
 * survive a restart, one server per file, and clear one-line failures at start.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { TaskPriority, TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { EnqueueTaskRequestSchema } from "@gobq/sdk/gen/task_service_pb.js";
import { type GobqProcess, runGobq, startGobq, tempDir } from "./support/gobq-process.js";
import { grpcClients } from "./support/clients.js";

const running: GobqProcess[] = [];
const dirs: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
  for (const cleanup of dirs.splice(0)) cleanup();
});

async function serveAt(store: string, extra: string[] = []) {
  const p = await startGobq(store, extra);
  running.push(p);
  return { p, ...grpcClients(p.url) };
}

function freshDir() {
  const t = tempDir();
  dirs.push(t.cleanup);
  return t.dir;
}

describe("durability", () => {
  it("keeps every acknowledged enqueue after SIGKILL, queued in order, leases intact", async () => {
    const file = `duckdb:${freshDir()}/gobq.duckdb`;
    const first = await serveAt(file);
    const acked: string[] = [];
    const priorities = [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.HIGH, TaskPriority.CRITICAL];
    // 1,000 one by one, 64 in flight, and 1,000 in batches of 50: concurrent, so group commits mix.
    let next = 0;
    const singles = Array.from({ length: 64 }, async () => {
      while (next < 1000) {
        const i = next++;
        const { task } = await first.tasks.enqueueTask({ name: "d", category: "dur", priority: priorities[i % 4]!, kwargs: { i } });
        acked.push(task!.id);
      }
    });
    const batches = Array.from({ length: 20 }, async (_, b) => {
      const reqs = Array.from({ length: 50 }, (_, j) => create(EnqueueTaskRequestSchema, { name: "d", category: "dur", kwargs: { b, j } }));
      const { tasks } = await first.tasks.enqueueTasks({ tasks: reqs });
      acked.push(...tasks.map((t) => t.id));
    });
    await Promise.all([...singles, ...batches]);
    const leased = (await first.workers.leaseTasks({ category: "dur", workerId: "w", maxTasks: 10, leaseDuration: durationFromMs(600_000), wait: durationFromMs(0) })).tasks;
    const before = await first.tasks.getStats({});
    await first.p.stop("SIGKILL");

    const second = await serveAt(file);
    const after = await second.tasks.getStats({});
    expect(acked).toHaveLength(2000);
    expect(after.total).toBe(2000n);
    expect(after.byStatus).toEqual(before.byStatus);
    expect(after.categories[0]!.queuedByPriority).toEqual(before.categories[0]!.queuedByPriority);
    const found: string[] = [];
    let pageToken = "";
    do {
      const page = await second.tasks.listTasks({ category: "dur", pageSize: 1000, pageToken });
      found.push(...page.tasks.map((t) => t.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(found.sort()).toEqual([...acked].sort());
    // A lease held at the crash is still held: its worker can finish it.
    const done = await second.workers.completeTask({ taskId: leased[0]!.task!.id, leaseToken: leased[0]!.leaseToken });
    expect(done.task!.status).toBe(TaskStatus.SUCCESS);
    // And the queue resumes in priority order.
    const { tasks } = await second.workers.leaseTasks({ category: "dur", workerId: "w2", maxTasks: 5, wait: durationFromMs(0) });
    expect(tasks.map((t) => t.task!.priority)).toEqual(Array(5).fill(TaskPriority.CRITICAL));
  }, 90_000);

  it("shuts down cleanly on SIGTERM: long-polls answer, watches end, restart resumes", async () => {
    const file = `duckdb:${freshDir()}/gobq.duckdb`;
    const s = await serveAt(file);
    const { task } = await s.tasks.enqueueTask({ name: "w", category: "other" });
    const poll = s.workers.leaseTasks({ category: "idle", workerId: "w", wait: durationFromMs(30_000) });
    const watched: TaskStatus[] = [];
    const watch = (async () => {
      for await (const r of s.tasks.watchTask({ id: task!.id })) watched.push(r.event!.task!.status);
    })();
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.p.stop("SIGTERM")).toBe(0);
    await expect(poll).resolves.toMatchObject({ tasks: [] });
    await watch; // ends without an error
    expect(watched).toEqual([TaskStatus.PENDING]);
    const again = await serveAt(file);
    expect((await again.tasks.getTask({ id: task!.id })).task!.status).toBe(TaskStatus.PENDING);
  });

  it("refuses a second server on the same file with one clear line", async () => {
    const dir = freshDir();
    await serveAt(`duckdb:${dir}/gobq.duckdb`);
    const r = await runGobq(["serve", "--listen", "127.0.0.1:0", "--http-listen", "off", "--store", `duckdb:${dir}/gobq.duckdb`]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/gobq\.duckdb/);
    expect(lines[0]).toMatch(/lock/i);
  });

  it("fails at start with one clear line: port in use, unusable path, bad flag", async () => {
    const s = await serveAt(`duckdb:${freshDir()}/gobq.duckdb`);
    const port = new URL(s.p.url).port;
    const inUse = await runGobq(["serve", "--listen", `127.0.0.1:${port}`, "--http-listen", "off", "--store", "memory:"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr.trim()).toMatch(new RegExp(`^gobq: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use$`));

    // A folder that cannot be created (a file stands in the way): fails even for root.
    const dir = freshDir();
    writeFileSync(`${dir}/plain-file`, "");
    const notADir = await runGobq(["serve", "--listen", "127.0.0.1:0", "--store", `duckdb:${dir}/plain-file/sub/gobq.duckdb`]);
    expect(notADir.code).toBe(1);
    expect(notADir.stderr.trim().split("\n")).toHaveLength(1);
    expect(notADir.stderr).toMatch(/plain-file\/sub/);

    const bad = await runGobq(["serve", "--listen", "nonsense"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('gobq: --listen (GOBQ_LISTEN): must be HOST:PORT, got "nonsense"');
  });
});
