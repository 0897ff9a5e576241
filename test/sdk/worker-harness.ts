/**
 * What the Worker tests share: servers, workers and child processes that are stopped after
 * each test even when it fails, a log that records lines, and waiting for a condition.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TaskClient, Worker, type AnyTasks, type WorkerLog, type WorkerOptions } from "@gobq/sdk";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Runs `fn` after the current test, last registered first. */
export function onCleanup(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}

/** Stops everything the test started; for afterEach. */
export async function cleanUp(): Promise<void> {
  const errors: unknown[] = [];
  for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** An in-process server and a client of it, both stopped after the test. */
export async function serverAndClient(): Promise<{ server: InProcessServer; client: TaskClient }> {
  const server = await startInProcessServer();
  onCleanup(() => server.stop());
  return { server, client: new TaskClient({ baseUrl: server.url }) };
}

/** A log that keeps its lines, to assert what a user would read. */
export function recordingLog(): WorkerLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

/** A Worker with short leases and polls (overridable), stopped after the test without grace. */
export function testWorker<M extends AnyTasks = AnyTasks>(options: WorkerOptions): Worker<M> {
  const worker = new Worker<M>({ leaseMs: 3000, pollWaitMs: 2000, log: recordingLog(), ...options });
  onCleanup(() => worker.stop({ graceMs: 0 }));
  return worker;
}

/** Resolves once `check` returns true; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise and its resolver, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const CHILD = fileURLToPath(new URL("./worker-child.ts", import.meta.url));

/** A worker in a child process (see worker-child.ts), SIGKILLed after the test if still alive. */
export function spawnChildWorker(
  baseUrl: string,
  category: string,
): { child: ChildProcess; started: Promise<string>; exited: Promise<number | string> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, baseUrl, category], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const started = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /started (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`worker child exited (${code}) before starting a task: ${err}`)));
  });
  return { child, started, exited };
}
