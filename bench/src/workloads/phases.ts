/**
 * The steps the workloads are made of: start a child and wait until it is connected, run
 * a producer to completion, wait until the queue says every job finished. Each wait has a
 * deadline; each child is killed by its caller's `finally`.
 */
import { nowMs, sleep } from "../clock.js";
import { cpuMsBetween, machineBusyMs } from "../proc-stats.js";
import type { ProducerDone, ProducerMode, WorkerSpec } from "../roles/messages.js";
import { startRole, type RoleProcess } from "../roles/role-process.js";
import type { PreparedRun } from "../systems/system.js";
import type { WorkloadContext } from "./workload.js";

/** Children get this long to start and connect. */
const READY_MS = 60_000;

/** How often the end of processing is polled: fine enough for runs of seconds, light on the queue. */
const POLL_MS = 10;

/** CPU % (of one core) over a window: the queue's server side, and the whole machine. */
export interface CpuWindowResult {
  server: number;
  /** Everything on the machine, ours or not: well above the sum of ours means someone else was busy. */
  machine: number;
}

/**
 * Starts measuring CPU over a window: the queue's server side (gobq server, Redis or all
 * PostgreSQL processes) and the whole machine, which tells whether something outside the
 * run competed for the cores.
 */
export function cpuWindow(prepared: PreparedRun): { end(): CpuWindowResult } {
  const server0 = prepared.serverCpu();
  const machine0 = machineBusyMs();
  const t0 = nowMs();
  return {
    end() {
      const wall = nowMs() - t0;
      return { server: pct(cpuMsBetween(server0, prepared.serverCpu()), wall), machine: pct(machineBusyMs() - machine0, wall) };
    },
  };
}

/** A producer's report, plus CPU over the same window. */
export interface Produced extends ProducerDone {
  cpu: CpuWindowResult;
}

/**
 * Runs a producer process in `mode` to completion: spawned and connected first, then
 * timed from its first call to its last answer.
 */
export async function produce(ctx: WorkloadContext, prepared: PreparedRun, mode: ProducerMode): Promise<Produced> {
  const producer = startRole({ role: "producer", system: ctx.harness.name, conn: prepared.conn, mode }, ctx.roles);
  try {
    await producer.next("ready", READY_MS);
    const window = cpuWindow(prepared);
    producer.send({ type: "go" });
    const done = await producer.next("producer-done", ctx.phaseMs);
    const cpu = window.end();
    await producer.exit(5000);
    return { ...done, cpu };
  } finally {
    await producer.kill();
  }
}

/** Starts a worker process and waits until it is connected (not yet taking jobs). */
export async function readyWorker(
  ctx: WorkloadContext,
  prepared: PreparedRun,
  spec: Omit<WorkerSpec, "role" | "system" | "conn" | "concurrency">,
): Promise<RoleProcess> {
  const worker = startRole(
    { role: "worker", system: ctx.harness.name, conn: prepared.conn, concurrency: ctx.sizes.concurrency, ...spec },
    ctx.roles,
  );
  try {
    await worker.next("ready", READY_MS);
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}

/** Tells a worker to stop and returns its report; a worker that will not stop is killed by the caller. */
export async function stopWorker(worker: RoleProcess) {
  worker.send({ type: "stop" });
  // Stopping may wait out in-flight acks (gobq retries them for up to a lease, 30 s).
  const done = await worker.next("worker-done", 60_000);
  await worker.exit(5000);
  return done;
}

/**
 * Polls the queue until it reports `expected` jobs finished; resolves with the time it
 * first did. Polls only after the worker has handled every job, so polling costs the
 * measured phase nothing but its last few milliseconds. A failing poll (a server
 * restarting) is retried until the deadline.
 */
export async function allFinishedAt(prepared: PreparedRun, expected: number, timeoutMs: number): Promise<number> {
  const deadline = nowMs() + timeoutMs;
  let lastError: unknown;
  while (nowMs() < deadline) {
    try {
      if (await prepared.allFinished(expected)) return nowMs();
    } catch (err) {
      lastError = err;
    }
    await sleep(POLL_MS);
  }
  const why = lastError instanceof Error ? ` (last poll: ${lastError.message})` : "";
  throw new Error(`the queue did not report ${expected} jobs finished within ${Math.round(timeoutMs / 1000)} s${why}`);
}

/** Runs `body` with a fresh run of the harness's queue, disposing of it afterwards whatever happens. */
export async function withPrepared<T>(ctx: WorkloadContext, body: (prepared: PreparedRun) => Promise<T>): Promise<T> {
  const prepared = await ctx.harness.prepare();
  try {
    return await body(prepared);
  } finally {
    await prepared.dispose();
  }
}

/** % of one core: `cpuMs` used over `wallMs`. */
export function pct(cpuMs: number, wallMs: number): number {
  return wallMs > 0 ? (cpuMs / wallMs) * 100 : 0;
}
