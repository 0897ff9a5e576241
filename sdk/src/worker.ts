/**
 * Worker: a remote worker process that leases tasks of one category and runs them.
 *
 * ```ts
 * const worker = new Worker<Tasks>({ baseUrl: "http://127.0.0.1:50051", category: "media", concurrency: 4 });
 * worker.register("resize", async ({ args: [url], signal, progress }) => {
 *   progress(10, "downloading");
 *   const image = await download(url, { signal });
 *   return { bytes: image.length };
 * });
 * await worker.start();
 * // … later, e.g. on SIGTERM (or pass handleSignals: true):
 * await worker.stop({ graceMs: 10_000 });
 * ```
 *
 * What it does for each task: leases it (a long-poll, only for free slots, only for the
 * registered names), heartbeats every third of the lease carrying the latest progress,
 * aborts `ctx.signal` on cancel, lost lease, `timeoutMs` or shutdown (the signal's reason,
 * a `TaskAbortedError`, says which), and reports the outcome: the returned JSON value as
 * the result, a thrown `NonRetryableError` as a final failure, any other throw as a
 * retryable failure with the error's message and type. Acks finishing together travel in
 * one call. Delivery is at-least-once: a handler whose lease was lost may run again
 * elsewhere, so handlers should be idempotent.
 *
 * Sync handlers: a handler runs on the event loop, so while a synchronous (CPU-bound)
 * stretch of it runs, no timer fires — heartbeats of every task of this worker stall, and
 * a stretch longer than the lease loses the leases. The worker measures each handler's
 * synchronous part and warns once per task name when it exceeds a third of the lease:
 * make such a handler async (yield between chunks with `await setImmediate()` from
 * `node:timers/promises`), move the work to a `worker_threads` Worker or a child process,
 * or raise `leaseMs`. (Running sync handlers in threads for the user was not chosen: a
 * handler's closure, imports and `ctx` cannot cross into a thread.)
 *
 * When the server is unreachable, the worker retries with exponential backoff and jitter
 * (100 ms doubling to 10 s), logs once when the outage starts and once when it ends, and
 * carries on by itself. Acks are retried until the lease would have run out. The lease
 * call after a failed one reclaims: it lists the tasks this worker holds, and the server
 * hands back any it leased to this worker in the call whose answer was lost, so they run
 * now, not after their leases expire (the worker id must be unique to this process; the
 * default is).
 */
import { hostname } from "node:os";
import { createClient, type Client } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { WorkerService } from "./gen/gobq/v1/worker_service_pb.js";
import { type WorkerCalls, workerCalls } from "./hot-calls.js";
import { speaksBinary, transportFor } from "./transport.js";
import type { WireLeasedTask } from "./wire/task-wire.js";
import type { AnyTasks } from "./types.js";
import { AckBatcher } from "./worker-acks.js";
import { createBackoff, createOutageReporter, sleep } from "./worker-backoff.js";
import type { TaskHandler } from "./worker-context.js";
import { type RunDeps, TaskRun } from "./worker-run.js";
import { checkName, resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from "./worker-options.js";

export { TaskAbortedError, type AbortReason, type TaskContext, type TaskHandler } from "./worker-context.js";
export type { WorkerLog } from "./worker-backoff.js";
export type { WorkerOptions } from "./worker-options.js";

/** Options of `Worker.stop`. */
export interface StopOptions {
  /** How long running handlers may take to finish before they are aborted and handed back. Default 10,000. */
  graceMs?: number;
}

type State = "new" | "running" | "stopping" | "stopped";

/** The server leases at most this many tasks per call. */
const MAX_TASKS_PER_LEASE = 1000;

/** Leases and runs the tasks of one category; `M` maps task names to their types, as for TaskClient. */
export class Worker<M extends AnyTasks = AnyTasks> {
  /** How this worker appears in leases and stats. */
  readonly workerId: string;
  private readonly options: ResolvedWorkerOptions;
  private readonly rpc: Client<typeof WorkerService>;
  private readonly calls: WorkerCalls;
  private readonly deps: RunDeps;
  private readonly handlers = new Map<string, TaskHandler>();
  /** Runs whose handler has not returned: each holds a slot. */
  private readonly busy = new Set<TaskRun>();
  /** Runs leased ahead (`prefetch`), in the order leased, waiting for a slot. */
  private readonly waiting: TaskRun[] = [];
  /** Runs whose outcome is not reported yet. */
  private readonly unreported = new Set<TaskRun>();
  private readonly warnedBlocking = new Set<string>();
  private state: State = "new";
  private loop: Promise<void> | undefined;
  private poll = new AbortController();
  private wake: (() => void) | undefined;
  private stopped: Promise<void> | undefined;
  private readonly onSignal = () => void this.stop();

  constructor(options: WorkerOptions) {
    this.options = resolveWorkerOptions(options, { hostname: hostname(), pid: process.pid });
    this.workerId = this.options.workerId;
    const transport = transportFor(options);
    this.rpc = createClient(WorkerService, transport);
    this.calls = workerCalls(transport, speaksBinary(options));
    this.deps = {
      rpc: this.rpc,
      log: this.options.log,
      leaseMs: this.options.leaseMs,
      completes: new AckBatcher({ one: (ack) => this.calls.completeOne(ack), many: (acks) => this.calls.completeMany(acks) }),
      fails: new AckBatcher({
        one: (req) => this.rpc.failTask(req),
        many: async (tasks) => (await this.rpc.failTasks({ tasks })).results,
      }),
      onBlocked: (name, ms) => this.onBlocked(name, ms),
    };
  }

  /** Sets the handler of a task name (replacing any earlier one). Register before `start()`. */
  register<N extends keyof M & string>(name: N, handler: TaskHandler<M[N]>): this {
    if (this.state !== "new") throw new Error(`register("${name}") after start(): register every handler before starting`);
    checkName("task name", name);
    this.handlers.set(name, handler as unknown as TaskHandler);
    return this;
  }

  /**
   * Starts leasing. Resolves once the loop runs — it does not wait for the server, which
   * may come up later. Rejects if no handler is registered. Calling it again does nothing.
   */
  async start(): Promise<void> {
    if (this.state === "running") return;
    if (this.state !== "new") throw new Error("start() after stop(): create a new Worker");
    if (this.handlers.size === 0) throw new Error("start() without handlers: register at least one with worker.register(name, handler)");
    this.state = "running";
    if (this.options.handleSignals) {
      process.once("SIGTERM", this.onSignal);
      process.once("SIGINT", this.onSignal);
    }
    this.loop = this.leaseLoop();
  }

  /**
   * Stops leasing at once, lets running handlers finish within `graceMs`, then aborts the
   * rest (`signal.reason.reason === "shutdown"`) and hands their tasks back: they become
   * PENDING at once and run again elsewhere without using a retry. Resolves once every
   * outcome is reported. A handler that ignores its signal may still be running then; its
   * outcome is not reported. While the server is unreachable, reports are retried until
   * their leases would have run out, so stop() may then take up to `leaseMs` longer.
   * Calling it again returns the same promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopped ??= this.shutdown(options.graceMs ?? 10_000);
    return this.stopped;
  }

  /** Handlers running now. */
  get running(): number {
    return this.busy.size;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const wasRunning = this.state === "running";
    this.state = "stopping";
    process.off("SIGTERM", this.onSignal);
    process.off("SIGINT", this.onSignal);
    this.poll.abort();
    this.wake?.();
    if (wasRunning) await this.loop;
    // Tasks leased ahead have not started: they go back at once, for other workers.
    for (const run of this.waiting.splice(0)) run.handBack();
    const runs = [...this.unreported];
    const allDone = Promise.all(runs.map((r) => r.done));
    const grace = new AbortController();
    await Promise.race([allDone, sleep(graceMs, grace.signal)]);
    grace.abort();
    for (const r of runs) r.handBack();
    await allDone;
    this.state = "stopped";
  }

  private async leaseLoop(): Promise<void> {
    const { category, concurrency, prefetch, leaseMs, pollWaitMs, baseUrl } = this.options;
    const backoff = createBackoff();
    const outage = createOutageReporter(this.deps.log, `leasing tasks of category "${category}" from ${baseUrl}`);
    const taskNames = [...this.handlers.keys()];
    // After a failed lease call its answer may have been lost with leases committed: the
    // next call names what this worker holds, and the server hands back the rest at once.
    let reclaim = false;
    while (this.state === "running") {
      const free = Math.min(concurrency + prefetch - this.busy.size - this.waiting.length, MAX_TASKS_PER_LEASE);
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const leasedAt = Date.now();
      try {
        const tasks = await this.calls.lease(
          {
            category,
            workerId: this.workerId,
            taskNames,
            maxTasks: free,
            leaseDuration: durationFromMs(leaseMs),
            wait: durationFromMs(pollWaitMs),
            ...(reclaim ? { reclaim, heldTaskIds: [...this.unreported].map((r) => r.task.id) } : {}),
          },
          // A long-poll that hangs past its wait (a silent network) is given up and made again.
          { signal: this.poll.signal, timeoutMs: pollWaitMs + 10_000 },
        );
        outage.recovered();
        backoff.reset();
        reclaim = false;
        for (const leased of tasks) this.run(leased, leasedAt);
      } catch (err) {
        if (this.state !== "running") break;
        reclaim = true;
        outage.failed(err);
        await sleep(backoff.next(), this.poll.signal);
      }
    }
  }

  private run(leased: WireLeasedTask, leasedAt: number): void {
    const run = new TaskRun(leased, this.handlers.get(leased.task.name) ?? this.unknownName, this.deps, leasedAt);
    this.unreported.add(run);
    void run.done.then(() => this.unreported.delete(run));
    // Leased as stop() began (the answer crossed the abort): give it straight back.
    if (this.state !== "running") run.handBack();
    else if (this.busy.size < this.options.concurrency) this.begin(run);
    else {
      this.waiting.push(run);
      run.hold();
    }
  }

  /** Runs the handler in a free slot; when it returns, the next waiting run takes the slot. */
  private begin(run: TaskRun): void {
    this.busy.add(run);
    void run.settled.then(() => {
      this.busy.delete(run);
      const next = this.state === "running" ? this.waiting.shift() : undefined;
      if (next) this.begin(next);
      this.wake?.();
    });
    run.start();
  }

  /** The server leased a name this worker did not ask for: fail it rather than drop it. */
  private readonly unknownName: TaskHandler = ({ task }) => {
    throw new Error(`worker ${this.workerId} has no handler for task name "${task.name}"`);
  };

  private onBlocked(name: string, ms: number): void {
    const { leaseMs } = this.options;
    if (ms <= leaseMs / 3 || this.warnedBlocking.has(name)) return;
    this.warnedBlocking.add(name);
    this.deps.log.warn(
      `the handler of "${name}" blocked the event loop for ${Math.round(ms)} ms (more than a third of the ${leaseMs} ms lease): ` +
        "heartbeats of this worker's tasks stall meanwhile and leases may be lost. Make it async (await between chunks), " +
        "move the work to a worker thread or child process, or raise leaseMs",
    );
  }
}
