/**
 * What the harness and its child processes (producers and workers) say to each other over
 * Node's IPC channel. Messages are few per run (ready, go, done…); per-job data stays in
 * the child until the end, so the channel costs the measured processes nothing.
 */
import type { Connection, SystemName } from "../systems/system.js";

/** How a producer enqueues its jobs. */
export type ProducerMode =
  /** W1a: one enqueue call per job, `inflight` calls outstanding at any time. */
  | { kind: "one"; n: number; inflight: number }
  /** W1b and filling a queue: sequential bulk calls of `batch` jobs. */
  | { kind: "bulk"; n: number; batch: number; returnIds: boolean }
  /**
   * W3: one enqueue call per job at a fixed rate, not waiting for earlier answers; jobs
   * `from` to `from + n - 1`, stamped with their send time unless `stamp` is false (warm-up).
   */
  | { kind: "paced"; n: number; perSecond: number; from: number; stamp: boolean }
  /** W4: `low` LOW jobs, then `high` HIGH jobs, each group in bulk calls of 1,000. */
  | { kind: "priority"; low: number; high: number };

/** A producer process: connects, says ready, enqueues on "go", reports and exits. */
export interface ProducerSpec {
  role: "producer";
  system: SystemName;
  conn: Connection;
  mode: ProducerMode;
}

/** A worker process: connects, says ready, starts on "go", stops and reports on "stop". */
export interface WorkerSpec {
  role: "worker";
  system: SystemName;
  conn: Connection;
  concurrency: number;
  /** Distinct jobs after which it reports "handled-all". */
  expect: number;
  /** Distinct jobs after which it reports "half" (W5 kills the server then). */
  halfAt?: number;
  /** W3: record handler start minus the payload's send time. */
  latency?: boolean;
  /** W4: record the start positions of HIGH jobs. */
  order?: boolean;
}

/** A process that imports nothing and reports its RSS: what every child costs before any queue code. */
export interface BaselineSpec {
  role: "baseline";
}

/** What a child process is told to be (JSON in argv[2]). */
export type RoleSpec = ProducerSpec | WorkerSpec | BaselineSpec;

/** Harness → child. */
export type ParentMessage = { type: "go" } | { type: "stop" };

/** What a producer reports when done. */
export interface ProducerDone {
  type: "producer-done";
  /** First call made and last answer received, on the shared clock. */
  t0: number;
  t1: number;
  /** Jobs acknowledged. */
  count: number;
  /** Their ids, when the spec asked for them. */
  ids: string[];
  /** CPU the process used between t0 and t1. */
  cpuMs: number;
  maxRssKb: number;
}

/** What a worker reports once stopped. */
export interface WorkerDone {
  type: "worker-done";
  /** Handler runs, and distinct job ids among them: the difference is duplicate runs. */
  runs: number;
  distinct: number;
  /** W3: enqueue → handler start of each job's first run, ms. */
  latenciesMs: number[];
  /** W4: 0-based start positions of the HIGH jobs. */
  highPositions: number[];
  maxRssKb: number;
}

/** Child → harness. */
export type ChildMessage =
  | { type: "ready" }
  | { type: "started"; at: number }
  | { type: "half"; at: number }
  | { type: "handled-all"; at: number; cpuMs: number }
  | ProducerDone
  | WorkerDone
  | { type: "baseline-done"; maxRssKb: number }
  | { type: "error"; message: string };

/** A child's side of the IPC channel. */
export interface Channel {
  send(message: ChildMessage): Promise<void>;
  /** Resolves when the harness sends `type` (at once if it already has). */
  waitFor(type: ParentMessage["type"]): Promise<void>;
}
