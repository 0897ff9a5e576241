/**
 * What SDK Workers did during a fault, to tell an expected second run from a duplicate:
 * when each handler run began, and when the server accepted each completion (seen by an
 * interceptor on the workers' transport, so nothing is taken from the workers' word).
 */
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Worker } from "@gobq/sdk";
import type { AckResult, CompleteTaskRequest } from "@gobq/sdk/gen/worker_service_pb.js";
import { testWorker } from "../sdk/worker-harness.js";

/** Runs and accepted completions, by task id; see the module comment. */
export class RunLog {
  /** When each run of a task's handler began (epoch ms). */
  readonly runs = new Map<string, number[]>();
  /** When the server's acceptance of a task's completion reached its worker. */
  readonly acceptedAt = new Map<string, number>();
  /** LeaseTasks calls made, answered or not. */
  leaseCalls = 0;

  /** For the workers' transport: counts lease calls and records accepted completions. */
  readonly interceptor: Interceptor = (next) => async (req) => {
    if (req.method.name === "LeaseTasks") this.leaseCalls++;
    const res = await next(req);
    if (req.method.name === "CompleteTask") this.accept((req.message as CompleteTaskRequest).taskId);
    if (req.method.name === "CompleteTasks" && !res.stream) {
      for (const r of (res.message as unknown as { results: AckResult[] }).results) if (r.errorReason === "") this.accept(r.taskId);
    }
    return res;
  };

  /** Records that a handler began running the task. */
  started(taskId: string): void {
    this.runs.set(taskId, [...(this.runs.get(taskId) ?? []), Date.now()]);
  }

  /** Tasks whose handler ran more than once. */
  doubleRuns(): string[] {
    return [...this.runs].filter(([, starts]) => starts.length > 1).map(([id]) => id);
  }

  /**
   * Tasks whose lease a worker held when the server went away at `faultAt`: a run began
   * before `backAt` (only the old server can have leased it) and no completion of it was
   * accepted before `faultAt`. Only these may run twice.
   */
  heldAt(faultAt: number, backAt: number): Set<string> {
    const held = new Set<string>();
    for (const [id, starts] of this.runs) {
      const accepted = this.acceptedAt.get(id);
      if (starts[0]! < backAt && (accepted === undefined || accepted >= faultAt)) held.add(id);
    }
    return held;
  }

  private accept(taskId: string): void {
    this.acceptedAt.set(taskId, Date.now());
  }
}

/**
 * `count` started SDK Workers of `category` with 1 s leases, whose handler of task name
 * "job" records its run in `log`, waits `workMs()` and returns the task's id.
 */
export async function recordedWorkers(
  url: string,
  category: string,
  log: RunLog,
  options: { count: number; concurrency: number; workMs: () => number },
): Promise<Worker[]> {
  const transport = createGrpcTransport({ baseUrl: url, interceptors: [log.interceptor] });
  const workers = Array.from({ length: options.count }, () => {
    const w = testWorker({ transport, category, concurrency: options.concurrency, leaseMs: 1000, pollWaitMs: 500 });
    w.register("job", async ({ task }) => {
      log.started(task.id);
      await new Promise((r) => setTimeout(r, options.workMs()));
      return task.id;
    });
    return w;
  });
  await Promise.all(workers.map((w) => w.start()));
  return workers;
}
