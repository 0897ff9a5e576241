/**
 * The workloads, what one run of one measures, and what a workload needs to run. Every
 * load is bounded in count (the sizes) and in time (`phaseMs` for each wait).
 */
import type { StartRoleOptions } from "../roles/role-process.js";
import type { SystemHarness, SystemName } from "../systems/system.js";

/** Workload ids, in the order they run and are reported. */
export const WORKLOAD_IDS = ["w1a", "w1b", "w2", "w3", "w4", "w5", "w6"] as const;

/** One of `WORKLOAD_IDS`. */
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** How big each workload is. */
export interface Sizes {
  /** W1, W2 and W5 jobs. The N: 20,000. */
  n: number;
  /** W1a calls in flight: 64. */
  inflight: number;
  /** Jobs per bulk call: 1,000. */
  batch: number;
  /** Worker concurrency: 32. */
  concurrency: number;
  /** W3 jobs, and their rate: 2,000 at 200/s. */
  latencyJobs: number;
  latencyPerSecond: number;
  /** W3 warm-up jobs sent at the same rate before the measured ones, not measured: 400. */
  latencyWarmup: number;
  /** W4: 1,000 LOW, then 10 HIGH. */
  priorityLow: number;
  priorityHigh: number;
  /** W6 jobs queued: 1,000,000. */
  memoryJobs: number;
}

/** The sizes of the issue. */
export const FULL_SIZES: Sizes = {
  n: 20_000,
  inflight: 64,
  batch: 1000,
  concurrency: 32,
  latencyJobs: 2000,
  latencyPerSecond: 200,
  latencyWarmup: 400,
  priorityLow: 1000,
  priorityHigh: 10,
  memoryJobs: 1_000_000,
};

/** Small enough for CI to run every workload in well under a minute. */
export const SMOKE_SIZES: Sizes = {
  ...FULL_SIZES,
  n: 1000,
  latencyJobs: 100,
  latencyWarmup: 20,
  memoryJobs: 10_000,
};

/** What one run of one workload on one system measured. */
export interface RunMetrics {
  /** Wall time of the measured phase. */
  elapsedMs: number;
  /** W1, W2, W5, W6: jobs per second. */
  jobsPerSec?: number;
  /** W3: enqueue → handler start. */
  latencyMs?: { p50: number; p95: number; p99: number; max: number };
  /** W4: 0-based start positions of the HIGH jobs, ascending. */
  highPositions?: number[];
  /** W5: acknowledged jobs missing from the store afterwards. */
  lost?: number;
  /** W5: acknowledged jobs not finished once the run gave up waiting. */
  neverFinished?: number;
  /** W5: from SIGKILL to listening again. */
  restartMs?: number;
  /** Handler runs minus distinct job ids (runs with a worker only). */
  duplicates?: number;
  /** Peak RSS, MiB: the worker process, the producer process, the gobq server. */
  workerPeakMb?: number;
  producerPeakMb?: number;
  serverPeakMb?: number;
  /**
   * CPU used during the measured phase, % of one core, by each process (server: the queue's
   * service); machine: the whole machine, ours and anything else running.
   */
  cpuPct?: { producer?: number; worker?: number; server?: number; machine?: number };
  /** What did not add up (jobs unaccounted for, duplicate runs): the run's numbers are suspect. */
  problems: string[];
}

/** One run: a workload, a system, a repetition, and what came of it. */
export interface RunRecord {
  workload: WorkloadId;
  system: SystemName;
  rep: number;
  ok: boolean;
  error?: string;
  metrics?: RunMetrics;
}

/** What a workload's run gets. */
export interface WorkloadContext {
  harness: SystemHarness;
  sizes: Sizes;
  /** Longest wait for any one phase (a producer's enqueues, a worker's processing). */
  phaseMs: number;
  /** Options for every child process (CPU profiling). */
  roles: StartRoleOptions;
}

/** A workload: what it is and how to run it once. */
export interface Workload {
  id: WorkloadId;
  /** Short title, for tables. */
  title: string;
  /** What it does, for BENCHMARKS.md. */
  description(sizes: Sizes): string;
  /** Runs on gobq only (the peers state their durability instead, or have no server of ours). */
  gobqOnly: boolean;
  /** With `gobqOnly`: which of gobq's systems run it. Default: gobq on DuckDB alone. */
  gobqSystems?: readonly SystemName[];
  run(ctx: WorkloadContext): Promise<RunMetrics>;
}

/** KiB → MiB. */
export function mb(kb: number | undefined): number | undefined {
  return kb === undefined ? undefined : kb / 1024;
}
