/** The Worker's options: what each means, its default, and the checks that name the bad one. */
import type { ConnectionOptions } from "./transport.js";
import type { WorkerLog } from "./worker-backoff.js";

/** Options of `new Worker(…)`. */
export interface WorkerOptions extends ConnectionOptions {
  /** The category whose tasks this worker leases. Required. */
  category: string;
  /** Most handlers running at once, 1–1000. Default 1. */
  concurrency?: number;
  /**
   * Tasks leased ahead, beyond `concurrency`, to start as soon as a slot frees, 0–1000.
   * They are leased (STARTED, attempt counted) and heartbeated while they wait, so the next
   * task does not wait for a round trip: worth it for short handlers. The cost: a task
   * enqueued later with a higher priority starts after the ones already fetched, and a
   * worker that dies takes them with it until their leases run out. Default 0.
   */
  prefetch?: number;
  /**
   * How long the server holds a task for this worker without a heartbeat, 1 s – 1 h.
   * Heartbeats go every third of it. A dead worker's tasks run again elsewhere after it.
   * Default 30,000.
   */
  leaseMs?: number;
  /** How this worker appears in leases and stats, at most 128 characters. Default `${hostname}-${pid}-${random}`. */
  workerId?: string;
  /** How long one lease long-poll waits for a task, 0–50,000 ms. Default 30,000. */
  pollWaitMs?: number;
  /** Where warnings and errors go, one line each (a pino logger fits). Default: console.error. */
  log?: WorkerLog;
  /** Whether SIGTERM and SIGINT call `stop()`; a second signal then ends the process as usual. Default false. */
  handleSignals?: boolean;
}

/** WorkerOptions after defaults. */
export interface ResolvedWorkerOptions {
  category: string;
  concurrency: number;
  prefetch: number;
  leaseMs: number;
  workerId: string;
  pollWaitMs: number;
  log: WorkerLog;
  handleSignals: boolean;
  /** For log lines: where the server is. */
  baseUrl: string;
}

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Throws, naming the field, unless `value` is a valid category or task name. */
export function checkName(field: string, value: string): void {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new TypeError(`Worker ${field}: must match [A-Za-z0-9_.:-]{1,128}, got ${JSON.stringify(value)}`);
  }
}

function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Worker option ${field}: must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Applies defaults and checks every option; `host` makes the default worker id. */
export function resolveWorkerOptions(o: WorkerOptions, host: { hostname: string; pid: number }): ResolvedWorkerOptions {
  checkName("option category", o.category);
  const workerId = o.workerId ?? `${host.hostname}-${host.pid}-${Math.random().toString(36).slice(2, 8)}`.slice(-128);
  if (workerId.length === 0 || workerId.length > 128) {
    throw new RangeError(`Worker option workerId: must be 1 to 128 characters, got ${workerId.length}`);
  }
  const log = o.log ?? {
    warn: (m: string) => console.error(`gobq worker ${workerId} warning: ${m}`),
    error: (m: string) => console.error(`gobq worker ${workerId} error: ${m}`),
  };
  return {
    category: o.category,
    concurrency: checkInt("concurrency", o.concurrency ?? 1, 1, 1000),
    prefetch: checkInt("prefetch", o.prefetch ?? 0, 0, 1000),
    leaseMs: checkInt("leaseMs", o.leaseMs ?? 30_000, 1000, 3_600_000),
    pollWaitMs: checkInt("pollWaitMs", o.pollWaitMs ?? 30_000, 0, 50_000),
    workerId,
    log,
    handleSignals: o.handleSignals ?? false,
    baseUrl: o.baseUrl ?? (o.transport ? "the given transport" : "http://127.0.0.1:50051"),
  };
}
