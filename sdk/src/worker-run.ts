/**
 * One leased task, from its handler's start to the report of its outcome: the heartbeat
 * loop that keeps its lease and carries its progress, its timeout, and the one ack.
 *
 * Invariants: at most one heartbeat of a task is in flight; the outcome is reported at
 * most once, and never after the lease is known lost (the server has moved on, and a
 * report could only be refused). `settled` (the handler returned) and `done` (nothing
 * left to report) are separate: a handler that ignores its aborted signal keeps its slot,
 * but does not hold up `stop()`.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { FailTaskRequestSchema, WorkerService } from "./gen/gobq/v1/worker_service_pb.js";
import type { CompleteAck } from "./hot-calls.js";
import { isRetryable, reasonOf } from "./errors.js";
import type { JsonValue, Task, TaskFailure } from "./types.js";
import type { AckBatcher, AckOutcome } from "./worker-acks.js";
import type { WireLeasedTask } from "./wire/task-wire.js";
import { type WorkerLog, createBackoff, describeError } from "./worker-backoff.js";
import { type AbortReason, type TaskHandler, TaskAbortedError } from "./worker-context.js";
import { failureOf, isNonRetryable, jsonProblem } from "./worker-result.js";

/** What every run of a worker shares. */
export interface RunDeps {
  rpc: Client<typeof WorkerService>;
  completes: AckBatcher<CompleteAck>;
  fails: AckBatcher<MessageInitShape<typeof FailTaskRequestSchema>>;
  leaseMs: number;
  log: WorkerLog;
  /** Told how long a handler's synchronous part held the event loop. */
  onBlocked(taskName: string, ms: number): void;
}

/** Progress reaches the server at most this often per task. */
const PROGRESS_THROTTLE_MS = 250;
const MAX_PROGRESS_MESSAGE_CHARS = 1024;
const TIMEOUT_FAILURE: TaskFailure = { message: "timeout", type: "Timeout" };

type Outcome = { value: unknown } | { error: unknown };

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** See the module comment. `start()` runs it; `handBack()` gives it up on shutdown. */
export class TaskRun {
  readonly task: Task;
  /** Resolves once the handler has returned or thrown: its slot is free. */
  readonly settled: Promise<void>;
  /** Resolves once the outcome is reported, or there is nothing to report. */
  readonly done: Promise<void>;
  private readonly token: string;
  /** Made when the handler first reads `ctx.signal`: most handlers of a busy worker never do. */
  private controller: AbortController | undefined;
  private abortedWith: TaskAbortedError | undefined;
  private readonly intervalMs: number;
  private readonly backoff = createBackoff();
  private markSettled!: () => void;
  private markDone!: () => void;
  /** Epoch ms until which the lease surely holds: each extension counts from when it was sent. */
  private leaseUntil: number;
  private started = false;
  private ended = false;
  private beating = true;
  private inFlight = false;
  private dirty = false;
  private percent = 0;
  private message = "";
  private lastSentAt = 0;
  private nextBeatAt: number;
  private beatTimer: { at: number; handle: NodeJS.Timeout } | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private warnedHeartbeat = false;

  constructor(
    leased: WireLeasedTask,
    private readonly handler: TaskHandler,
    private readonly deps: RunDeps,
    private readonly leasedAt: number,
  ) {
    this.task = leased.task;
    this.token = leased.leaseToken;
    this.leaseUntil = leasedAt + deps.leaseMs;
    this.intervalMs = Math.floor(deps.leaseMs / 3);
    this.nextBeatAt = leasedAt + this.intervalMs;
    this.percent = this.task.progress;
    this.message = this.task.progressMessage;
    this.settled = new Promise((resolve) => (this.markSettled = resolve));
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  /**
   * Keeps the lease while the task waits for a slot (leased ahead): heartbeats, and the
   * timeout, which the server counts from the lease.
   */
  hold(): void {
    this.armTimeout();
    this.scheduleBeat();
  }

  /** Starts heartbeats and the timeout, then calls the handler — unless the run ended while it waited. */
  start(): void {
    this.started = true;
    if (this.ended) return this.markSettled(); // its lease was lost, or it timed out, while it waited
    if (this.abortedWith) return this.settle({ error: this.abortedWith }); // cancelled while it waited
    this.armTimeout();
    const run = this;
    const ctx = {
      task: this.task,
      args: this.task.args,
      kwargs: this.task.kwargs,
      get signal() {
        return run.signal();
      },
      progress: (percent: number, message?: string) => this.progress(percent, message),
    };
    let out: unknown;
    const t0 = performance.now();
    try {
      out = this.handler(ctx);
    } catch (error) {
      out = Promise.reject(error);
    }
    this.deps.onBlocked(this.task.name, performance.now() - t0);
    // A handler that answered at once reports now: no heartbeat is due before that. Timers
    // cannot fire while a synchronous handler runs, so arming after it loses nothing.
    if (isThenable(out)) this.scheduleBeat();
    Promise.resolve(out).then(
      (value) => this.settle({ value }),
      (error: unknown) => this.settle({ error }),
    );
  }

  private armTimeout(): void {
    const { timeoutMs } = this.task;
    if (timeoutMs === undefined || this.timeoutTimer !== undefined) return;
    this.timeoutTimer = setTimeout(() => this.timeOut(), Math.max(0, this.leasedAt + timeoutMs - Date.now()));
  }

  /** The handler's AbortSignal, aborted already if the run was. */
  private signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith);
    }
    return this.controller.signal;
  }

  /** Shutdown after the grace period: aborts the handler and hands the task back, using no retry. */
  handBack(): void {
    if (this.ended) return;
    if (!this.started) this.markSettled();
    this.abort("shutdown", "the worker is stopping; the task was handed back to run again");
    this.end(this.fail({ message: "worker stopping", type: "WorkerStopping" }, true, true));
  }

  private settle(outcome: Outcome): void {
    this.markSettled();
    if (!this.ended) this.end(this.report(outcome));
  }

  /** The outcome is decided: no more heartbeats or timeout; `done` follows the report. */
  private end(report: Promise<void>): void {
    this.ended = true;
    this.beating = false;
    clearTimeout(this.beatTimer?.handle);
    clearTimeout(this.timeoutTimer);
    void report.finally(() => this.markDone());
  }

  private abort(reason: AbortReason, message: string): void {
    if (this.abortedWith) return;
    this.abortedWith = new TaskAbortedError(reason, message);
    this.controller?.abort(this.abortedWith);
    if (!this.started) return; // waiting for a slot: no handler to hold one
    // A handler that ignores its signal still holds a slot: say so once, so it can be fixed.
    const check = setTimeout(() => {
      this.deps.log.warn(
        `task ${this.task.id} (${this.task.name}) still runs ${this.deps.leaseMs} ms after its signal aborted (${reason}); ` +
          "it keeps a slot busy: make the handler stop when ctx.signal aborts",
      );
    }, this.deps.leaseMs).unref();
    void this.settled.then(() => clearTimeout(check));
  }

  private timeOut(): void {
    if (this.ended) return;
    this.abort("timeout", `the task's timeout of ${this.task.timeoutMs} ms ran out`);
    // The server fails the attempt at the same deadline; whichever comes first wins, so a
    // refusal of this report for LEASE_LOST is expected and not worth a warning.
    this.end(this.fail(TIMEOUT_FAILURE, false, false, true));
  }

  private async report(outcome: Outcome): Promise<void> {
    if ("error" in outcome) return this.fail(failureOf(outcome.error), !isNonRetryable(outcome.error));
    const problem = outcome.value === undefined ? undefined : jsonProblem(outcome.value);
    if (problem !== undefined) {
      return this.fail({ message: `the handler's result is not JSON: ${problem}`, type: "InvalidResult" }, false);
    }
    const result = outcome.value as JsonValue | undefined;
    const o = await this.deps.completes.add({ taskId: this.task.id, leaseToken: this.token, result }, this.leaseUntil);
    if (!o.ok && o.reason === "INVALID_ARGUMENT") {
      return this.fail({ message: `the server refused the handler's result: ${o.message}`, type: "InvalidResult" }, false);
    }
    this.logRefusal("complete", o, false);
  }

  private async fail(error: TaskFailure, retryable: boolean, requeue = false, quietIfLost = false): Promise<void> {
    const req = { taskId: this.task.id, leaseToken: this.token, error, retryable, requeue };
    this.logRefusal(requeue ? "hand back" : "fail", await this.deps.fails.add(req, this.leaseUntil), quietIfLost);
  }

  private logRefusal(what: string, o: AckOutcome, quietIfLost: boolean): void {
    if (o.ok || (quietIfLost && o.reason === "LEASE_LOST")) return;
    const line = `could not ${what} task ${this.task.id} (${this.task.name}): ${o.reason}: ${o.message}`;
    if (o.reason === "LEASE_LOST") this.deps.log.warn(`${line}; the server had already moved it on (lease expired or timed out)`);
    else this.deps.log.error(line);
  }

  private progress(percent: number, message: string | undefined): void {
    if (!this.beating) return;
    if (Number.isFinite(percent)) this.percent = Math.min(100, Math.max(0, percent));
    if (message !== undefined) this.message = String(message).slice(0, MAX_PROGRESS_MESSAGE_CHARS);
    this.dirty = true;
    this.scheduleBeat();
  }

  /** Arms the one heartbeat timer for the earliest due beat: the regular one, or new progress. */
  private scheduleBeat(): void {
    if (!this.beating || this.inFlight) return;
    const now = Date.now();
    let at = this.nextBeatAt;
    if (this.dirty) at = Math.min(at, Math.max(now, this.lastSentAt + PROGRESS_THROTTLE_MS));
    if (this.beatTimer !== undefined && this.beatTimer.at <= at) return;
    clearTimeout(this.beatTimer?.handle);
    this.beatTimer = { at, handle: setTimeout(() => void this.beat(), Math.max(0, at - now)) };
  }

  private async beat(): Promise<void> {
    this.beatTimer = undefined;
    this.inFlight = true;
    this.dirty = false;
    const sentAt = (this.lastSentAt = Date.now());
    try {
      const r = await this.deps.rpc.heartbeatTask(
        { taskId: this.task.id, leaseToken: this.token, progress: this.percent, progressMessage: this.message },
        { timeoutMs: this.intervalMs },
      );
      this.leaseUntil = sentAt + this.deps.leaseMs;
      this.nextBeatAt = sentAt + this.intervalMs;
      this.backoff.reset();
      if (r.cancelRequested && this.beating) {
        // The handler decides what to report; the server records CANCELLED whatever it is.
        // No more heartbeats: if the handler never stops, the lease runs out and the server
        // ends the task CANCELLED by itself.
        this.beating = false;
        this.abort("cancelled", "the task was cancelled");
      }
    } catch (err) {
      this.onBeatFailed(err);
    } finally {
      this.inFlight = false;
      this.scheduleBeat();
    }
  }

  private onBeatFailed(err: unknown): void {
    const reason = reasonOf(err);
    if (reason === "LEASE_LOST" || reason === "TASK_NOT_FOUND") {
      if (this.ended) return;
      this.abort("lease-lost", "the lease on this task was lost; another attempt may run it");
      this.end(Promise.resolve());
      return;
    }
    // Away or busy: try again soon, within the lease. Anything else (a bad progress value,
    // a refused token) will not heal by itself: say so once and keep the regular pace.
    if (isRetryable(err)) {
      this.nextBeatAt = Date.now() + Math.min(this.backoff.next(), this.intervalMs);
      return;
    }
    if (!this.warnedHeartbeat) {
      this.warnedHeartbeat = true;
      this.deps.log.warn(`heartbeat of task ${this.task.id} (${this.task.name}) refused: ${describeError(err)}`);
    }
    this.nextBeatAt = Date.now() + this.intervalMs;
  }
}
