/**
 * The client commands as a user runs them: `node bin/gobq.js …` child processes against a
 * real `gobq serve`, with the worker side driven over gRPC. Output is checked as printed:
 * --json field by field, text line by line, errors as exit code 1 and one stderr line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { fromJson } from "@bufbuild/protobuf";
import { durationFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import { TaskClient } from "@gobq/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { watchTask } from "../src/cli/watch.js";
import { grpcClients } from "./support/clients.js";
import { type GobqProcess, runGobq, startGobq } from "./support/gobq-process.js";

const BIN = fileURLToPath(new URL("../bin/gobq.js", import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = "01a20000-0000-7000-8000-000000000000";

/** A task or stats object as `--json` prints it (dates as ISO strings). */
type Json = Record<string, any>;

let server: GobqProcess | undefined;
let c: ReturnType<typeof grpcClients>;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  server = await startGobq("memory:");
  c = grpcClients(server.url);
});

afterEach(() => {
  // A test that failed half-way may leave a `gobq watch` waiting forever.
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

afterAll(async () => {
  await server?.stop("SIGKILL");
});

/** At most this many `gobq` processes at once: each spends about a second of CPU starting up. */
const MAX_PARALLEL = 3;
let active = 0;
const queued: Array<() => void> = [];

/** Runs `gobq ARGS` to completion, against the test's server unless ARGS name another. */
async function gobq(...args: string[]) {
  while (active >= MAX_PARALLEL) await new Promise<void>((resolve) => queued.push(resolve));
  active++;
  try {
    return await runGobq(args.includes("--server") ? args : [...args, "--server", server!.url]);
  } finally {
    active--;
    queued.shift()?.();
  }
}

/** Runs `gobq ARGS --json`, expects success, and parses what it printed. */
async function gobqJson(...args: string[]): Promise<Json> {
  const r = await gobq(...args, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

/** Starts `gobq ARGS --server URL` and lets the test read its stdout while it runs. */
function startCommand(...args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, "--server", server!.url], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  // "close", not "exit": only then has all output been read.
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    lines: () => stdout.split("\n").filter((l) => l !== ""),
    async printed(line: string) {
      await vi.waitFor(() => expect(stdout.split("\n")).toContain(line), { timeout: 15_000, interval: 25 });
    },
    async result() {
      const code = await closed;
      running.delete(child);
      return { code, stdout, stderr };
    },
  };
}

/** Leases the next task of a category as a worker would, waiting up to 15 s for it. */
async function lease(category: string) {
  const { tasks } = await c.workers.leaseTasks({ category, workerId: "cli-test", maxTasks: 1, wait: durationFromMs(15_000) });
  expect(tasks).toHaveLength(1);
  return { id: tasks[0]!.task!.id, name: tasks[0]!.task!.name, leaseToken: tasks[0]!.leaseToken };
}

/** A port nothing listens on: a server that is down. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("gobq client commands", () => {
  it("enqueue takes every flag; get, list and stats report the task as stored", async () => {
    const before = Date.now();
    const mail = await gobqJson(
      "enqueue", "send_email", "--category", "cli-mail", "--priority", "high",
      "--args", '["a@b.c", 2]', "--kwargs", '{"subject": "Hi"}', "--max-retries", "3",
      "--delay", "1m", "--timeout", "30s", "--idempotency-key", "welcome-1",
    );
    expect(mail).toMatchObject({
      name: "send_email",
      category: "cli-mail",
      priority: "high",
      status: "pending",
      args: ["a@b.c", 2],
      kwargs: { subject: "Hi" },
      maxRetries: 3,
      retryCount: 0,
      attempt: 0,
      timeoutMs: 30_000,
      idempotencyKey: "welcome-1",
    });
    expect(mail.id).toMatch(UUID);
    expect(Date.parse(mail.runAt) - before).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(mail.runAt) - before).toBeLessThan(75_000);

    // Without --json, enqueue prints the id alone, for `ID=$(gobq enqueue …)`.
    const plain = await gobq("enqueue", "report", "--category", "cli-mail", "--priority", "critical");
    expect(plain).toMatchObject({ code: 0, stderr: "" });
    expect(plain.stdout).toMatch(/^\S+\n$/);
    const reportId = plain.stdout.trim();
    expect(reportId).toMatch(UUID);

    const [got, inCategory, byName, limited, stats, getText, listText, statsText] = await Promise.all([
      gobqJson("get", mail.id),
      gobqJson("list", "--category", "cli-mail"),
      gobqJson("list", "--name", "report", "--status", "pending"),
      gobqJson("list", "--category", "cli-mail", "--limit", "1"),
      gobqJson("stats"),
      gobq("get", mail.id),
      gobq("list", "--category", "cli-mail", "--limit", "1"),
      gobq("stats"),
    ]);
    expect(got).toEqual(mail);
    expect(inCategory.map((t: Json) => t.id)).toEqual([reportId, mail.id]); // newest first
    expect(byName.map((t: Json) => t.id)).toEqual([reportId]);
    expect(limited.map((t: Json) => t.id)).toEqual([reportId]);

    expect(stats.categories.find((s: Json) => s.category === "cli-mail")).toEqual({
      category: "cli-mail",
      queuedByPriority: { critical: 1, high: 0, normal: 0, low: 0 }, // the high one is delayed
      running: 0,
      scheduled: 1,
      oldestQueuedAgeMs: expect.any(Number),
      workersSeen: 0,
      paused: false,
      maxRunning: 0,
      maxStartsPerSecond: 0,
    });
    expect(stats.byCategory["cli-mail"]).toBe(2);
    expect(stats.byStatus.pending).toBeGreaterThanOrEqual(2);

    expect(getText.code).toBe(0);
    expect(getText.stdout).toMatch(/^id +[0-9a-f-]{36}$/m);
    expect(getText.stdout).toMatch(/^priority +high$/m);
    expect(getText.stdout).toMatch(/^status +pending$/m);
    expect(getText.stdout).toMatch(/^kwargs +\{"subject":"Hi"\}$/m);
    expect(getText.stdout).toMatch(/^run at +\S+ \(in \d+s\)$/m);

    expect(listText.code).toBe(0);
    const listLines = listText.stdout.trimEnd().split("\n");
    expect(listLines[0]!.split(/\s+/)).toEqual(["ID", "NAME", "CATEGORY", "PRIORITY", "STATUS", "CREATED"]);
    expect(listLines[1]!.split(/\s+/).slice(0, 5)).toEqual([reportId, "report", "cli-mail", "critical", "pending"]);
    expect(listLines[2]).toBe("(the newest 1 shown; --limit shows more)");

    expect(statsText.code).toBe(0);
    const statsLines = statsText.stdout.split("\n");
    expect(statsLines[0]!.split(/\s+/)).toEqual([
      "CATEGORY", "QUEUED", "CRITICAL", "HIGH", "NORMAL", "LOW", "RUNNING", "SCHEDULED", "OLDEST", "WORKERS", "TOTAL", "SETTINGS",
    ]);
    const row = statsLines.find((l) => l.startsWith("cli-mail "))!.split(/\s+/);
    expect([...row.slice(0, 8), ...row.slice(9)]).toEqual(["cli-mail", "1", "1", "0", "0", "0", "0", "1", "0", "2", "-"]);
    expect(row[8]).toMatch(/^\d+(ms|s)$/); // the critical task's wait
    expect(statsText.stdout).toMatch(/^total \d+: pending \d+, retry \d+, started \d+, success \d+, failed \d+, cancelled \d+$/m);
  });

  it("cancel stops a queued task once, and says so when there is nothing to cancel", async () => {
    const id = (await c.tasks.enqueueTask({ name: "cleanup", category: "cli-cancel" })).task!.id;
    const first = await gobqJson("cancel", id);
    expect(first).toMatchObject({ cancelled: true, task: { id, status: "cancelled" } });
    const again = await gobq("cancel", id);
    expect(again).toEqual({
      code: 1,
      stdout: "",
      stderr: `gobq: task ${id} is already cancelled; only pending, retry and started tasks can be cancelled\n`,
    });
  });

  it("retry queues a failed task again, and refuses one that has not failed", async () => {
    const id = (await c.tasks.enqueueTask({ name: "flaky", category: "cli-retry" })).task!.id;
    const { leaseToken } = await lease("cli-retry");
    await c.workers.failTask({ taskId: id, leaseToken, error: { message: "boom", type: "ValueError" }, retryable: false });
    const failed = await gobqJson("get", id);
    expect(failed).toMatchObject({ status: "failed", error: { message: "boom", type: "ValueError" }, attempt: 1 });

    const retried = await gobqJson("retry", id);
    expect(retried).toMatchObject({ retried: true, task: { id, status: "pending" } });
    expect(retried.task).not.toHaveProperty("error");
    const again = await gobq("retry", id);
    expect(again).toEqual({ code: 1, stdout: "", stderr: `gobq: task ${id} is pending; only failed tasks can be retried\n` });
  });

  it("enqueue --wait prints the final status; exit code 1 when the task failed", async () => {
    const resize = gobq("enqueue", "resize", "--category", "cli-wait", "--wait", "--json");
    const crash = gobq("enqueue", "crash", "--category", "cli-wait", "--wait");
    for (let done = 0; done < 2; done++) {
      const t = await lease("cli-wait");
      if (t.name === "resize") {
        await c.workers.heartbeatTask({ taskId: t.id, leaseToken: t.leaseToken, progress: 50 });
        await c.workers.completeTask({ taskId: t.id, leaseToken: t.leaseToken, result: fromJson(ValueSchema, { width: 640 }) });
      } else {
        await c.workers.failTask({ taskId: t.id, leaseToken: t.leaseToken, error: { message: "disk full", type: "IOError" }, retryable: false });
      }
    }
    const ok = await resize;
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: "resize", status: "success", result: { width: 640 }, progress: 100, attempt: 1 });

    const bad = await crash;
    const id = bad.stdout.split(" ")[0]!;
    expect(id).toMatch(UUID);
    expect(bad).toEqual({ code: 1, stdout: `${id} failed: IOError: disk full\n`, stderr: `gobq: task ${id} failed: IOError: disk full\n` });
  });

  it("watch prints one line per visible change until the task ends", async () => {
    const id = (await c.tasks.enqueueTask({ name: "transcode", category: "cli-watch" })).task!.id;
    const watch = startCommand("watch", id);
    await watch.printed("pending");
    const t = await lease("cli-watch");
    await watch.printed("started 0%");
    await c.workers.heartbeatTask({ taskId: id, leaseToken: t.leaseToken, progress: 50, progressMessage: "half way" });
    await watch.printed("started 50% half way");
    // A change the line does not show (50.2 rounds to 50) prints nothing.
    await c.workers.heartbeatTask({ taskId: id, leaseToken: t.leaseToken, progress: 50.2, progressMessage: "half way" });
    await c.workers.completeTask({ taskId: id, leaseToken: t.leaseToken, result: fromJson(ValueSchema, "out.mp4") });
    const r = await watch.result();
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(watch.lines()).toEqual(["pending", "started 0%", "started 50% half way", 'success "out.mp4"']);

    // A finished task: its state at once; with --json, one event object a line.
    const events = (await gobq("watch", id, "--json")).stdout.trim().split("\n").map((l) => JSON.parse(l) as Json);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ seq: expect.any(Number), task: { id, status: "success", result: "out.mp4" } });
  });

  it("watch on a terminal redraws one line with a progress bar", async () => {
    const id = (await c.tasks.enqueueTask({ name: "render", category: "cli-tty" })).task!.id;
    let screen = "";
    const out = { isTTY: true, columns: 70, write: (s: string) => (screen += s) };
    const watching = watchTask({ client: new TaskClient({ baseUrl: server!.url }), out, json: false }, id);
    await vi.waitFor(() => expect(screen).toContain("pending"), { timeout: 10_000 });
    const t = await lease("cli-tty");
    await c.workers.heartbeatTask({ taskId: id, leaseToken: t.leaseToken, progress: 40, progressMessage: "frame 4/10" });
    await vi.waitFor(() => expect(screen).toContain("frame 4/10"), { timeout: 10_000 });
    await c.workers.completeTask({ taskId: id, leaseToken: t.leaseToken });
    await watching;

    const frames = screen.split("\r\x1b[2K").filter((f) => f !== "");
    expect(frames.slice(0, -1).every((f) => !f.includes("\n") && f.length < 70)).toBe(true);
    expect(frames).toContain(`${"█".repeat(8)}${"░".repeat(12)}  40%  started  frame 4/10`);
    expect(frames.at(-1)).toBe(`${id} success\n`);
  });

  it("GOBQ_SERVER names the server when --server is not given", async () => {
    const saved = process.env.GOBQ_SERVER;
    try {
      process.env.GOBQ_SERVER = server!.url;
      const good = runGobq(["stats", "--json"]); // the child's environment is copied here
      process.env.GOBQ_SERVER = "localhost:50051";
      const bad = runGobq(["stats"]);
      expect(JSON.parse((await good).stdout)).toHaveProperty("total");
      expect(await bad).toEqual({ code: 1, stdout: "", stderr: 'gobq: GOBQ_SERVER: must be an http:// or https:// URL, got "localhost:50051"\n' });
    } finally {
      if (saved === undefined) delete process.env.GOBQ_SERVER;
      else process.env.GOBQ_SERVER = saved;
    }
  });

  it("every error is exit code 1 and one line on stderr", async () => {
    const cancelled = (await c.tasks.enqueueTask({ name: "x", category: "cli-errors" })).task!.id;
    await c.tasks.cancelTask({ id: cancelled });
    const down = `http://127.0.0.1:${await closedPort()}`;
    const cases: Array<[string[], RegExp]> = [
      [["get", UNKNOWN_ID], new RegExp(`^gobq: task "?${UNKNOWN_ID}"? not found$`)],
      [["watch", cancelled], new RegExp(`^gobq: task ${cancelled} was cancelled$`)],
      [["get", UNKNOWN_ID, "--server", down], new RegExp(`^gobq: cannot reach the gobq server at ${down}: .+`)],
      [["watch", UNKNOWN_ID, "--server", down], new RegExp(`^gobq: cannot reach the gobq server at ${down}: .+`)],
      [["enqueue", "x", "--args", "[1,"], /^gobq: --args: not valid JSON \(.+\)$/],
      [["enqueue", "x", "--kwargs", "[1]"], /^gobq: --kwargs: must be a JSON object such as .+, got a list$/],
      [["enqueue", "x", "--priority", "urgent"], /^gobq: --priority: must be one of low, normal, high, critical, got "urgent"$/],
      [["enqueue", "x", "--delay", "soon"], /^gobq: --delay: must be a duration such as .+, got "soon"$/],
      [["list", "--status", "done"], /^gobq: --status: must be one of pending, started, success, failed, cancelled, retry, got "done"$/],
      // Checked by the SDK before sending, and by the server: the field is named either way.
      [["enqueue", "bad name"], /^gobq: name: must match .+, got "bad name"$/],
      [["enqueue", "x", "--idempotency-key", "k".repeat(300)], /^gobq: idempotency_key: must be at most 256 characters, got 300$/],
    ];
    const results = await Promise.all(cases.map(([args]) => gobq(...args)));
    results.forEach((r, i) => {
      const [args, line] = cases[i]!;
      expect({ args, code: r.code, lines: r.stderr.split("\n").slice(0, -1) }).toEqual({ args, code: 1, lines: [expect.stringMatching(line)] });
      // Only `watch` of a finished task prints its state first; no other failure prints to stdout.
      if (args[0] !== "watch" || args[1] !== cancelled) expect(r.stdout).toBe("");
      else expect(r.stdout).toBe("cancelled\n");
    });
  });

  it("pause, resume and limits change a category's settings, print them, and stats shows them", async () => {
    expect(await gobq("pause", "cli-limits")).toEqual({
      code: 0,
      stdout: "cli-limits: paused, no limit on running tasks, no limit on starts per second\n",
      stderr: "",
    });
    expect(await gobqJson("limits", "cli-limits", "--max-running", "2", "--max-starts-per-second", "0.5")).toEqual({
      category: "cli-limits",
      paused: true,
      maxRunning: 2,
      maxStartsPerSecond: 0.5,
    });
    const statsText = await gobq("stats");
    expect(statsText.stdout.split("\n").find((l) => l.startsWith("cli-limits "))!.split(/\s+/).at(-1)).toBe("paused,running<=2,starts<=0.5/s");
    expect((await gobq("resume", "cli-limits")).stdout).toBe("cli-limits: leasing, at most 2 running, at most 0.5 started per second\n");
    expect((await gobq("limits", "cli-limits", "--max-running", "0")).stdout).toBe(
      "cli-limits: leasing, no limit on running tasks, at most 0.5 started per second\n",
    );
    expect((await gobq("limits", "cli-limits")).stdout).toBe("cli-limits: leasing, no limit on running tasks, at most 0.5 started per second\n");

    const refused = await Promise.all([
      gobq("limits", "cli-limits", "--max-running", "two"),
      gobq("limits", "cli-limits", "--max-starts-per-second", "fast"),
      gobq("limits", "cli-limits", "--max-running", "2000000"),
      gobq("pause", "bad category"),
    ]);
    expect(refused.map((r) => [r.code, r.stdout, r.stderr])).toEqual([
      [1, "", 'gobq: --max-running: must be a whole number of at least 0, got "two"\n'],
      [1, "", 'gobq: --max-starts-per-second: must be a number of at least 0, such as 5 or 0.5, got "fast"\n'],
      [1, "", "gobq: max_running: must be an integer from 0 to 1000000, got 2000000\n"],
      [1, "", expect.stringMatching(/^gobq: category: must match .+, got "bad category"\n$/)],
    ]);
  });

  // Last: purge deletes every finished task on the server, including other tests' tasks.
  it("purge deletes the tasks that finished before the cut-off", async () => {
    const id = (await c.tasks.enqueueTask({ name: "old", category: "cli-purge" })).task!.id;
    await c.tasks.cancelTask({ id });
    expect(await gobqJson("purge", "--older-than", "7d")).toEqual({ deleted: 0 });
    const before = await gobqJson("stats");
    const finished = ["success", "failed", "cancelled"].reduce((n, s) => n + (before.byStatus[s] ?? 0), 0);
    expect(finished).toBeGreaterThan(0);
    const purged = await gobq("purge", "--older-than", "0");
    expect(purged).toEqual({ code: 0, stdout: `deleted ${finished} tasks that finished more than 0 ms ago\n`, stderr: "" });
    const gone = await gobq("get", id);
    expect(gone).toMatchObject({ code: 1, stdout: "" });
    expect(gone.stderr).toMatch(/^gobq: task .* not found\n$/);
  });
});
