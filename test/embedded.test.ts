/** The embedded TaskQueue against the original queue's documented examples. */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NonRetryableError, type Task } from "@gobq/sdk";
import { TaskQueue, TasksDisabledError } from "../src/index.js";
import { tempDir } from "./support/gobq-process.js";

const queues: TaskQueue[] = [];
const dirs: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.shutdown({ graceMs: 1000 })));
  for (const cleanup of dirs.splice(0)) cleanup();
  delete process.env["WOPR_TASKS_ENABLED"];
});

function queue(options: ConstructorParameters<typeof TaskQueue>[0] = { enabled: true, store: "memory:" }): TaskQueue {
  const q = new TaskQueue(options);
  queues.push(q);
  return q;
}

async function finished(q: TaskQueue, id: string): Promise<Task> {
  for (let i = 0; i < 500; i++) {
    const t = await q.getTaskInfo(id);
    if (t && ["success", "failed", "cancelled"].includes(t.status)) return t;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`task ${id} did not finish`);
}

describe("embedded TaskQueue", () => {
  it("runs the original's example: register, start workers, add, check status, stats", async () => {
    const t = tempDir();
    dirs.push(t.cleanup);
    const q = queue({ enabled: true, store: `duckdb:${t.dir}/tasks.duckdb` });
    q.register("send_email", { category: "notifications" }, async ({ args, kwargs }) => ({ sent: true, to: args[0]!, subject: kwargs["subject"]! }));
    q.register("process_data", { category: "analytics" }, ({ kwargs }) => ({ records: (kwargs["users"] as number) * 2 }));
    await q.startWorkers("notifications", 3);
    await q.startWorkers("analytics", 5);
    const email = await q.addTask("send_email", { priority: "high", maxRetries: 3, args: ["user@example.com"], kwargs: { subject: "Welcome" } });
    const data = await q.addTask("process_data", { kwargs: { users: 1000 } });
    expect(typeof email).toBe("string");
    expect(await finished(q, email)).toMatchObject({ status: "success", category: "notifications", priority: "high", result: { sent: true, to: "user@example.com", subject: "Welcome" } });
    expect(await finished(q, data)).toMatchObject({ status: "success", category: "analytics", result: { records: 2000 } });
    expect(await q.getTaskStats()).toEqual({ total: 2, by_status: { success: 2 }, by_category: { notifications: 1, analytics: 1 }, running: 0, queued: 0 });
    await q.shutdown();
    expect(existsSync(`${t.dir}/tasks.duckdb`)).toBe(true);
  });

  it("runs higher priorities first and FIFO within one", async () => {
    const q = queue();
    const ran: string[] = [];
    q.register("job", {}, ({ args }) => void ran.push(args[0] as string));
    const ids = [
      await q.addTask("job", { priority: "low", args: ["low-1"] }),
      await q.addTask("job", { priority: "low", args: ["low-2"] }),
      await q.addTask("job", { priority: "critical", args: ["critical"] }),
      await q.addTask("job", { priority: "normal", args: ["normal"] }),
    ];
    await q.startWorkers("default", 1);
    for (const id of ids) await finished(q, id);
    expect(ran).toEqual(["critical", "normal", "low-1", "low-2"]);
  });

  it("never runs a cancelled pending task, and retries a failed one by hand", async () => {
    const q = queue();
    const runs = new Map<string, number>();
    q.register("flaky", {}, ({ task }) => {
      const n = (runs.get(task.id) ?? 0) + 1;
      runs.set(task.id, n);
      if (n === 1) throw new NonRetryableError("first time fails");
      return "ok";
    });
    const cancelled = await q.addTask("flaky");
    const failing = await q.addTask("flaky", { maxRetries: 2 });
    expect(await q.cancelTask(cancelled)).toBe(true);
    await q.startWorkers("default", 2);
    expect(await finished(q, failing)).toMatchObject({ status: "failed", retryCount: 0, error: { message: "first time fails", type: "NonRetryableError" } });
    expect(await q.retryTask(failing)).toBe(true);
    expect(await finished(q, failing)).toMatchObject({ status: "success", result: "ok", attempt: 2 });
    expect(await q.retryTask(failing)).toBe(false);
    expect(await q.cancelTask(failing)).toBe(false);
    expect(runs.has(cancelled)).toBe(false);
    expect((await q.getTaskInfo(cancelled))!.status).toBe("cancelled");
    expect(await q.getTaskInfo("0190c5e4-0000-7000-8000-000000000000")).toBeNull();
  });

  it("does nothing and creates no file when disabled, by default or by option", async () => {
    const t = tempDir();
    dirs.push(t.cleanup);
    for (const q of [queue({ store: `duckdb:${t.dir}/tasks.duckdb` }), queue({ enabled: false, store: `duckdb:${t.dir}/tasks.duckdb` })]) {
      expect(q.enabled).toBe(false);
      q.register("job", {}, () => 1);
      await expect(q.addTask("job")).rejects.toBeInstanceOf(TasksDisabledError);
      await q.startWorkers("default", 2);
      expect(await q.getTaskInfo("0190c5e4-0000-7000-8000-000000000000")).toBeNull();
      expect(await q.cancelTask("x")).toBe(false);
      expect(await q.getTaskStats()).toEqual({ total: 0, by_status: {}, by_category: {}, running: 0, queued: 0 });
      await q.shutdown();
    }
    expect(existsSync(t.dir + "/tasks.duckdb")).toBe(false);
  });

  it("honours WOPR_TASKS_ENABLED as the original did", () => {
    for (const [value, enabled] of [["1", true], ["true", true], ["True", true], ["yes", true], ["0", false], ["no", false], ["TRUE", false]] as const) {
      process.env["WOPR_TASKS_ENABLED"] = value;
      expect(new TaskQueue({ store: "memory:" }).enabled, value).toBe(enabled);
    }
  });
});
