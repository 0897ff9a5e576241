/**
 * The queues under comparison and the two faces each one shows the harness:
 * - the client face (`ClientSide`), used inside the producer and worker child processes;
 * - the harness face (`SystemHarness`), used by the harness process to check the queue can
 *   run, give each run fresh state, and tell when every job of a run has finished.
 */

/** The queues the harness compares, gobq first. */
export const SYSTEM_NAMES = ["gobq", "gobq-pg", "gobq-pg3", "bullmq", "pg-boss", "graphile-worker"] as const;

/** One of `SYSTEM_NAMES`. */
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** Whether a system is a peer queue (not gobq on one of its stores): ratios and "best peer" compare gobq with these. */
export function isPeer(system: SystemName): boolean {
  return !system.startsWith("gobq");
}

/** How each system is written in tables. */
export const DISPLAY_NAME: Record<SystemName, string> = {
  gobq: "gobq",
  "gobq-pg": "gobq PG×1",
  "gobq-pg3": "gobq PG×3",
  bullmq: "BullMQ",
  "pg-boss": "pg-boss",
  "graphile-worker": "graphile-worker",
};

/** The payload every queue carries: small, the same everywhere. */
export interface JobPayload {
  /** The job's number within its run. */
  i: number;
  /** A stand-in for a real argument (an email address). */
  to: string;
  /** W3: when the producer sent it, on the shared clock (`nowMs`). */
  t?: number;
  /** W4: whether it was enqueued as HIGH. */
  high?: boolean;
}

/** One job to enqueue; no priority means the queue's default. */
export interface JobInput {
  payload: JobPayload;
  priority?: "low" | "high";
}

/** A job as a worker's handler sees it. */
export interface ReceivedJob {
  id: string;
  payload: JobPayload;
}

/** Where child processes find the queue of one run; plain JSON, it travels in argv. */
export type Connection = Record<string, string | number>;

/** The producing side of a queue, inside a producer process. */
export interface Producer {
  /** One enqueue call for one job; resolves with its id once the queue acknowledged it. */
  enqueue(job: JobInput): Promise<string>;
  /** One bulk call for all of `jobs`; resolves with their ids where the queue returns them. */
  enqueueBulk(jobs: JobInput[]): Promise<string[]>;
  /** Closes connections so the process can end. */
  close(): Promise<void>;
}

/** A worker, connected and configured but not yet taking jobs. */
export interface WorkerSide {
  /** Starts taking jobs. */
  start(): Promise<void>;
  /** Stops taking jobs and closes connections. */
  stop(): Promise<void>;
}

/** What a child process needs of one queue. */
export interface ClientSide {
  /** A connected producer. */
  createProducer(conn: Connection): Promise<Producer>;
  /** A worker at `concurrency` whose no-op handler calls `onJob` once per run of a job. */
  createWorker(conn: Connection, options: { concurrency: number; onJob: (job: ReceivedJob) => void }): Promise<WorkerSide>;
}

/** One run's fresh state, as the harness process holds it. */
export interface PreparedRun {
  /** What the children connect to. */
  conn: Connection;
  /** Whether at least `expected` jobs have finished (completed and acknowledged to the queue). */
  allFinished(expected: number): Promise<boolean>;
  /** CPU ms used so far by the queue's server side (gobq server, Redis or PostgreSQL). */
  serverCpu(): Map<number, number>;
  /** Peak RSS of the queue's server in KiB, where it is one process of ours (gobq). */
  serverPeakKb(): number | undefined;
  /** Stops what `prepare` started and deletes the run's state. */
  dispose(): Promise<void>;
}

/** The harness face of one queue. */
export interface SystemHarness {
  name: SystemName;
  /** The settings used, stated as the output and BENCHMARKS.md give them. */
  settings: readonly string[];
  /** How its store keeps acknowledged jobs, as configured on this machine. */
  durability: string;
  /** Gives a run fresh, empty state. */
  prepare(): Promise<PreparedRun>;
  /** Closes what the harness face holds. */
  close(): Promise<void>;
}
