/**
 * The scheduler: gobq's in-memory queues in front of a durable store.
 *
 * It holds every unfinished task in memory — per category, ready FIFOs per name and
 * priority (ready-queue.ts), and one timer heap for run_at, retry backoff, lease expiry and
 * attempt timeouts — and decides every transition synchronously, so two RPCs can never
 * lease the same task. Each change is then committed through the group commit; an RPC
 * answers, and watchers hear of the change, only after it is durable. A task becomes
 * leasable only after its enqueue is committed.
 *
 * Invariants: a task is in `live` while unfinished or while its final state is not yet
 * committed; a PENDING task with a readySeq is in its category's ReadyQueue exactly once.
 */
import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { InvalidArgumentError, LeaseLostError, TaskNotFoundError, UnavailableError } from "../task/errors.js";
import { type Task, isFinal } from "../task/task.js";
import * as transition from "../task/transitions.js";
import {
  BOUNDS,
  DEFAULT_LIMITS,
  type EnqueueInput,
  type EnqueueSpec,
  type Limits,
  checkId,
  checkInt,
  checkLength,
  checkName,
  checkRange,
  validateEnqueue,
  validateResult,
  validateTaskError,
} from "../task/validate.js";
import type { Store } from "../store/store.js";
import { type Clock, systemClock } from "./clock.js";
import { Counts } from "./counts.js";
import { EventHub, type Subscription, type TaskEvent } from "./event-hub.js";
import { GroupCommit } from "./group-commit.js";
import { TimerHeap } from "./heap.js";
import { LeaseWaiters, type LeaseRequest } from "./lease-waiters.js";
import { ReadyQueue } from "./ready-queue.js";
import { type CategoryStats, type Stats, buildStats } from "./stats.js";
import type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput } from "./inputs.js";

export type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput, LeaseRequest, Stats, CategoryStats, TaskEvent };

/** Where log lines go; pino's logger fits. */
export interface SchedulerLog {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of `Scheduler`. */
export interface SchedulerOptions {
  store: Store;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: DEFAULT_LIMITS (1 MiB payloads). */
  limits?: Limits;
  /** Default: Math.random (jitter). */
  random?: () => number;
  /** Default: discards. */
  log?: SchedulerLog;
  /** Events a watcher of many tasks may fall behind before it is ended. Default 10,000. */
  maxWatchBuffer?: number;
  /** Finished tasks are purged this long after they finish, checked hourly; 0 keeps them. Default 7 days. */
  retentionMs?: number;
}

const RETENTION_CHECK_MS = 3_600_000;

type TimerEntry = { kind: "ready"; task: Task } | { kind: "lease"; task: Task; token: string };

/** Per category: its ready queue, its waiting long-polls and who leased lately. */
interface Category {
  ready: ReadyQueue;
  waiters: LeaseWaiters;
  workersSeen: Map<string, number>;
}

const silentLog: SchedulerLog = { error() {}, info() {} };

/** See the module comment. Create with `Scheduler.open`. */
export class Scheduler {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private readonly random: () => number;
  private readonly log: SchedulerLog;
  private readonly writer: GroupCommit;
  private readonly hub: EventHub;
  private readonly live = new Map<string, Task>();
  private readonly categories = new Map<string, Category>();
  private readonly timers = new TimerHeap<TimerEntry>();
  private readonly counts = new Counts();
  /** Enqueues in flight by idempotency key, so concurrent duplicates see one task. */
  private readonly pendingKeys = new Map<string, Promise<Task | undefined>>();
  private readySeq = 0;
  /** Tasks given a readySeq whose commit is in flight; see prepareReady. */
  private readonly awaitingCommit = new Set<Task>();
  private armed: { at: number; handle: unknown } | undefined;
  private stopping = false;
  private retentionTimer: unknown;
  private readonly retentionMs: number;

  private constructor(options: SchedulerOptions) {
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silentLog;
    this.hub = new EventHub(options.maxWatchBuffer ?? 10_000);
    this.writer = new GroupCommit({
      store: this.store,
      onFailure: (err) => this.log.error({ err }, "store write failed; refusing further changes"),
    });
  }

  /** Builds a scheduler and rebuilds its queues from the store: every unfinished task returns to its place. */
  static async open(options: SchedulerOptions): Promise<Scheduler> {
    const s = new Scheduler(options);
    await s.rebuild();
    s.scheduleRetention();
    return s;
  }

  // ---- producers and admins -------------------------------------------------------------

  /** Stores one task (or returns the one with the same idempotency key) and queues it once committed. */
  async enqueue(input: EnqueueInput): Promise<{ task: Task; deduplicated: boolean }> {
    const spec = validateEnqueue(input, this.limits);
    const [result] = await this.enqueueSpecs([spec]);
    return result!;
  }

  /** Stores many tasks in one commit — all or none — and queues them once committed. */
  async enqueueMany(inputs: readonly EnqueueInput[]): Promise<Array<{ task: Task; deduplicated: boolean }>> {
    if (inputs.length > BOUNDS.maxBatch) {
      throw new InvalidArgumentError("tasks", `at most ${BOUNDS.maxBatch} per call, got ${inputs.length}`);
    }
    const specs = inputs.map((input, i) => validateEnqueue(input, this.limits, `tasks[${i}].`));
    return this.enqueueSpecs(specs);
  }

  /** The task as it is now. */
  async get(id: string): Promise<Task> {
    const key = checkId("id", id);
    const task = this.live.get(key) ?? (await this.store.taskGet({ id: key }));
    if (task === undefined) throw new TaskNotFoundError(id);
    return task;
  }

  /** One page of tasks, newest first; `pageToken` is the previous page's `nextPageToken`. */
  async list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string }> {
    if (input.category) checkName("category", input.category);
    if (input.name) checkName("name", input.name);
    const pageSize = checkInt("page_size", input.pageSize || 100, 1, BOUNDS.pageSizeMax);
    let beforeId: string | undefined;
    if (input.pageToken) {
      beforeId = Buffer.from(input.pageToken, "base64url").toString();
      if (!/^[0-9a-f-]{36}$/.test(beforeId)) throw new InvalidArgumentError("page_token", "is not a token this server gave");
    }
    const rows = await this.store.taskList({
      category: input.category || undefined,
      status: input.status,
      name: input.name || undefined,
      beforeId,
      limit: pageSize + 1,
    });
    const page = rows.slice(0, pageSize).map((t) => this.live.get(t.id) ?? t);
    const more = rows.length > pageSize;
    const last = page[page.length - 1];
    return { tasks: page, nextPageToken: more && last ? Buffer.from(last.id).toString("base64url") : "" };
  }

  /**
   * PENDING or RETRY → CANCELLED; STARTED → cancel requested of its worker; a finished
   * task is left as it is (`cancelled: false`).
   */
  async cancel(id: string): Promise<{ task: Task; cancelled: boolean }> {
    const task = await this.get(id);
    const live = this.live.get(task.id);
    if (live === undefined || isFinal(live.status)) return { task, cancelled: false };
    this.assertChangesAllowed();
    if (live.status === "started") {
      if (live.cancelRequested) return { task: live, cancelled: false };
      transition.requestCancel(live);
    } else {
      if (live.readySeq !== undefined && !this.awaitingCommit.has(live)) this.category(live.category).ready.forget(live);
      const from = live.status;
      transition.cancelQueued(live, this.clock.now());
      this.counts.move(live.category, from, live.status);
    }
    await this.commit(live);
    return { task: live, cancelled: true };
  }

  /** FAILED → PENDING at the tail of its FIFO; any other status is left as it is (`retried: false`). */
  async retry(id: string): Promise<{ task: Task; retried: boolean }> {
    const stored = await this.get(id);
    if (stored.status !== "failed" || this.live.has(stored.id)) {
      return { task: this.live.get(stored.id) ?? stored, retried: false };
    }
    this.assertChangesAllowed();
    const task: Task = { ...stored };
    this.live.set(task.id, task);
    transition.manualRetry(task);
    this.counts.move(task.category, "failed", "pending");
    this.prepareReady(task);
    await this.commit(task);
    this.pushReady([task]);
    return { task, retried: true };
  }

  /** Exact counts, overall and per category. */
  stats(): Stats {
    const now = this.clock.now();
    const perCategory = new Map<string, { ready: ReadyQueue; workers: number }>();
    for (const [name, c] of this.categories) {
      for (const [worker, seen] of c.workersSeen) if (now - seen > 60_000) c.workersSeen.delete(worker);
      perCategory.set(name, { ready: c.ready, workers: c.workersSeen.size });
    }
    return buildStats(this.counts, perCategory, now);
  }

  /**
   * The task as it is now (unless it has not changed since `afterSeq`), then each change,
   * ending after a final status.
   */
  async *watch(id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    const key = checkId("id", id);
    const sub = this.hub.subscribe({ taskId: key });
    const onAbort = () => sub.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const task = await this.get(key);
      let last = afterSeq;
      if (task.seq > last) {
        last = task.seq;
        yield { seq: task.seq, task: { ...task } };
      }
      if (isFinal(task.status) && !this.live.has(key)) return;
      for await (const event of sub) {
        if (event.seq <= last) continue;
        last = event.seq;
        yield event;
        if (isFinal(event.task.status)) return;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      sub.close();
    }
  }

  /** Every committed change in one category (or all): a feed that ends only at shutdown. */
  watchAll(category: string | undefined, signal?: AbortSignal): Subscription {
    if (category) checkName("category", category);
    const sub = this.hub.subscribe(category ? { category } : { all: true });
    signal?.addEventListener("abort", () => sub.close(), { once: true });
    return sub;
  }

  /** Deletes finished tasks that completed more than `olderThanMs` ago. */
  async purge(olderThanMs: number): Promise<number> {
    checkRange("older_than", olderThanMs, 0, Number.MAX_SAFE_INTEGER);
    this.assertChangesAllowed();
    const cutoff = this.clock.now() - olderThanMs;
    const deleted = await this.writer.runExclusive(() => this.store.taskDeleteFinishedMany({ completedBefore: cutoff }));
    let total = 0;
    for (const d of deleted) {
      this.counts.add(d.category, d.status, -d.count);
      total += d.count;
    }
    return total;
  }

  // ---- workers --------------------------------------------------------------------------

  /**
   * Leases up to `maxTasks` ready tasks, waiting up to `waitMs` for one (long-poll). The
   * leases are committed before this resolves. `signal` ends the wait early (client gone).
   */
  async lease(req: LeaseRequest, signal?: AbortSignal): Promise<LeasedTask[]> {
    checkName("category", req.category);
    if (req.workerId === "") throw new InvalidArgumentError("worker_id", "is required");
    checkLength("worker_id", req.workerId, BOUNDS.workerIdChars);
    req.taskNames?.forEach((n, i) => checkName(`task_names[${i}]`, n));
    checkInt("max_tasks", req.maxTasks, 1, BOUNDS.maxTasksPerLease);
    checkInt("lease_duration", req.leaseMs, BOUNDS.leaseMinMs, BOUNDS.leaseMaxMs);
    checkInt("wait", req.waitMs, 0, BOUNDS.waitMaxMs);
    if (this.stopping) throw new UnavailableError("the server is shutting down");
    this.writer.assertWritable();
    const c = this.category(req.category);
    c.workersSeen.set(req.workerId, this.clock.now());
    const names = req.taskNames && req.taskNames.length > 0 ? new Set(req.taskNames) : undefined;
    const taken = this.takeReady(c, names, req);
    const tasks = taken.length > 0 || req.waitMs === 0 ? taken : await c.waiters.wait({ names, req, clock: this.clock, signal });
    if (tasks.length === 0) return [];
    const leased = await this.commitLeases(tasks);
    if (!signal?.aborted) return leased;
    // The caller left while its lease was being committed: it will never learn the tokens.
    await this.handBack(leased);
    return [];
  }

  /** Returns leases no worker received to their queue, as if never leased. */
  private async handBack(leased: readonly LeasedTask[]): Promise<void> {
    const back: Task[] = [];
    for (const { task, leaseToken } of leased) {
      if (task.status !== "started" || task.lease?.token !== leaseToken) continue;
      const requeued = !task.cancelRequested; // a cancel asked meanwhile ends it instead
      transition.requeueAttempt(task, this.clock.now());
      this.counts.move(task.category, "started", task.status);
      if (requeued) {
        task.attempt -= 1;
        this.prepareReady(task);
      }
      back.push(task);
    }
    if (back.length === 0) return;
    await this.writer.write([], back);
    for (const t of back) this.hub.publish(t);
    this.pushReady(back);
  }

  /** Extends a lease and records progress; says whether cancel was requested. */
  async heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
    const progress = checkRange("progress", input.progress, 0, 100);
    checkLength("progress_message", input.progressMessage, BOUNDS.progressMessageChars);
    if (input.extendByMs !== undefined) checkInt("extend_by", input.extendByMs, BOUNDS.leaseMinMs, BOUNDS.leaseMaxMs);
    const task = await this.leased(input.taskId, input.leaseToken);
    this.assertChangesAllowed();
    const lease = task.lease!;
    const changed = transition.reportProgress(task, progress, input.progressMessage);
    if (changed) this.hub.publish(task);
    const expiresAt = this.clock.now() + (input.extendByMs ?? lease.durationMs);
    task.lease = { ...lease, expiresAt };
    this.timers.push(this.deadline(task), { kind: "lease", task, token: lease.token });
    this.arm();
    await this.writer.write([], [task]);
    return { leaseExpiresAt: expiresAt, cancelRequested: task.cancelRequested };
  }

  /** STARTED → SUCCESS (or CANCELLED if cancel was requested). */
  async complete(input: AckInput): Promise<Task> {
    const result = validateResult(input.result, this.limits, "result");
    const task = await this.leased(input.taskId, input.leaseToken);
    this.assertChangesAllowed();
    transition.completeAttempt(task, result, this.clock.now());
    this.counts.move(task.category, "started", task.status);
    await this.commit(task);
    return task;
  }

  /** STARTED → RETRY, FAILED or CANCELLED, as the retry policy and `retryable` say. */
  async fail(input: FailInput): Promise<Task> {
    const error = validateTaskError(input.error, this.limits, "error");
    const task = await this.leased(input.taskId, input.leaseToken);
    this.assertChangesAllowed();
    if (input.requeue) {
      transition.requeueAttempt(task, this.clock.now());
      this.counts.move(task.category, "started", task.status);
      if (task.status === "pending") this.prepareReady(task);
      await this.commit(task);
      this.pushReady([task]);
      return task;
    }
    this.endAttempt(task, error, input.retryable);
    await this.commit(task);
    return task;
  }

  /** Whether `drain` was called: new changes and leases are refused. */
  get draining(): boolean {
    return this.stopping;
  }

  /**
   * First step of shutdown: refuse new leases and changes (UNAVAILABLE), answer waiting
   * long-polls empty and end watch streams. Changes already accepted still commit.
   */
  drain(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of this.categories.values()) c.waiters.cancelAll();
    this.hub.endAll();
    if (this.armed) this.clock.clearTimer(this.armed.handle);
    this.armed = undefined;
    if (this.retentionTimer !== undefined) this.clock.clearTimer(this.retentionTimer);
  }

  /** Resolves when every change made so far is committed and its effects applied (timers fired, tasks queued). */
  async settled(): Promise<void> {
    await this.writer.flush();
  }

  /** Drains, commits everything accepted, and closes the store. Idempotent. */
  async stop(): Promise<void> {
    this.drain();
    await this.writer.flush();
    await this.store.close();
  }

  // ---- internals ------------------------------------------------------------------------

  private async enqueueSpecs(specs: readonly EnqueueSpec[]): Promise<Array<{ task: Task; deduplicated: boolean }>> {
    this.assertChangesAllowed();
    const now = this.clock.now();
    const created: Task[] = [];
    // Keys this call claimed (it creates their task unless the store already has one).
    const claimed = new Map<string, { task: Task; settle: (t: Task | undefined) => void }>();
    // Per request: a new task, a key this call claimed, or another call's enqueue of the key.
    const slots: Array<Task | string | Promise<Task | undefined>> = [];
    for (const spec of specs) {
      const key = spec.idempotencyKey;
      const other = key === undefined ? undefined : this.pendingKeys.get(key);
      if (key !== undefined && (claimed.has(key) || other)) {
        slots.push(claimed.has(key) ? key : other!);
        continue;
      }
      const task = this.newTask(spec, now);
      created.push(task);
      if (key === undefined) {
        slots.push(task);
        continue;
      }
      let settle!: (t: Task | undefined) => void;
      this.pendingKeys.set(key, new Promise((resolve) => (settle = resolve)));
      claimed.set(key, { task, settle });
      slots.push(key);
    }
    const winners = new Map<string, Task>();
    try {
      await Promise.all(
        [...claimed].map(async ([key, c]) => {
          const stored = await this.store.taskGetByIdempotencyKey({ key });
          winners.set(key, stored === undefined ? c.task : (this.live.get(stored.id) ?? stored));
        }),
      );
      const insert = created.filter((t) => t.idempotencyKey === undefined || winners.get(t.idempotencyKey) === t);
      const now = this.clock.now();
      for (const t of insert) {
        this.live.set(t.id, t);
        this.counts.add(t.category, t.status, 1);
        if (t.runAt === undefined || t.runAt <= now) this.prepareReady(t);
      }
      try {
        await this.writer.write(insert, []);
      } catch (err) {
        for (const t of insert) {
          this.live.delete(t.id);
          this.counts.add(t.category, t.status, -1);
          this.awaitingCommit.delete(t);
        }
        throw err;
      }
      this.queueCommitted(insert);
    } finally {
      for (const [key, c] of claimed) {
        this.pendingKeys.delete(key);
        c.settle(winners.get(key));
      }
    }
    const seenKeys = new Set<string>();
    return Promise.all(
      slots.map(async (slot, i) => {
        if (typeof slot === "string") {
          const task = winners.get(slot)!;
          const first = !seenKeys.has(slot);
          seenKeys.add(slot);
          return { task, deduplicated: !(first && claimed.get(slot)!.task === task) };
        }
        if (!(slot instanceof Promise)) return { task: slot, deduplicated: false };
        const task = await slot;
        if (task === undefined) throw new UnavailableError(`tasks[${i}]: the enqueue holding its idempotency key failed; retry`);
        return { task, deduplicated: true };
      }),
    );
  }

  /** Queues newly committed tasks (or schedules the delayed ones), tells watchers, wakes long-polls. */
  private queueCommitted(tasks: readonly Task[]): void {
    for (const t of tasks) {
      if (t.readySeq === undefined) this.timers.push(t.runAt!, { kind: "ready", task: t });
      this.hub.publish(t);
    }
    this.arm();
    this.pushReady(tasks);
  }

  private newTask(spec: EnqueueSpec, now: number): Task {
    return {
      id: uuidv7(),
      ...spec,
      status: "pending",
      result: undefined,
      error: undefined,
      retryCount: 0,
      attempt: 0,
      progress: 0,
      progressMessage: "",
      createdAt: now,
      startedAt: undefined,
      completedAt: undefined,
      nextAttemptAt: undefined,
      cancelRequested: false,
      lease: undefined,
      seq: 1,
      readySeq: undefined,
      readyAt: undefined,
    };
  }

  /** The live STARTED task if `token` is its current lease; otherwise LEASE_LOST or NOT_FOUND. */
  private async leased(taskId: string, token: string): Promise<Task> {
    const id = checkId("task_id", taskId);
    if (token === "") throw new InvalidArgumentError("lease_token", "is required");
    const task = this.live.get(id);
    if (task?.status === "started" && task.lease?.token === token) return task;
    if (task === undefined && (await this.store.taskGet({ id })) === undefined) throw new TaskNotFoundError(taskId);
    throw new LeaseLostError(taskId);
  }

  private assertChangesAllowed(): void {
    if (this.stopping) throw new UnavailableError("the server is shutting down");
    this.writer.assertWritable();
  }

  /** Commits one task's change, publishes it, and drops it from memory if it is final. */
  private async commit(task: Task): Promise<void> {
    await this.writer.write([], [task]);
    this.hub.publish(task);
    if (isFinal(task.status) && this.live.get(task.id) === task) this.live.delete(task.id);
  }

  private category(name: string): Category {
    let c = this.categories.get(name);
    if (c === undefined) {
      c = { ready: new ReadyQueue(), waiters: new LeaseWaiters(), workersSeen: new Map() };
      this.categories.set(name, c);
    }
    return c;
  }

  /**
   * Gives a task its FIFO position, to be committed with it. It joins its ready queue only
   * in `pushReady`, after that commit: commits resolve in the order they were asked for,
   * so tasks join their queues in readySeq order, and a worker never gets a task the store
   * does not have yet.
   */
  private prepareReady(task: Task): void {
    transition.becomeReady(task, ++this.readySeq, this.clock.now());
    this.awaitingCommit.add(task);
  }

  /** After their commit: queues the tasks still ready and hands them to waiting long-polls. */
  private pushReady(tasks: readonly Task[]): void {
    const touched = new Set<string>();
    for (const t of tasks) {
      if (!this.awaitingCommit.delete(t)) continue;
      if (t.status !== "pending" || t.readySeq === undefined) continue; // cancelled meanwhile
      this.category(t.category).ready.push(t);
      touched.add(t.category);
    }
    for (const category of touched) this.dispatch(category);
  }

  /** Takes ready tasks and starts their attempts in memory (committed by the caller). */
  private takeReady(c: Category, names: ReadonlySet<string> | undefined, req: LeaseRequest): Task[] {
    const tasks = c.ready.take(names, req.maxTasks);
    const now = this.clock.now();
    for (const task of tasks) {
      const lease = { workerId: req.workerId, token: randomUUID(), expiresAt: now + req.leaseMs, durationMs: req.leaseMs };
      transition.startAttempt(task, lease, now);
      this.counts.move(task.category, "pending", "started");
      this.timers.push(this.deadline(task), { kind: "lease", task, token: lease.token });
    }
    if (tasks.length > 0) this.arm();
    return tasks;
  }

  private async commitLeases(tasks: Task[]): Promise<LeasedTask[]> {
    const leases = tasks.map((task) => ({ task, token: task.lease!.token }));
    await this.writer.write([], tasks);
    for (const t of tasks) this.hub.publish(t);
    return leases.map(({ task, token }) => ({ task, leaseToken: token, leaseExpiresAt: task.lease?.expiresAt ?? 0 }));
  }

  /** Hands ready tasks of a category to waiting long-polls, oldest poll first. */
  private dispatch(category: string): void {
    const c = this.categories.get(category);
    if (c === undefined || c.ready.size === 0) return;
    c.waiters.serve((names, req) => this.takeReady(c, names, req));
  }

  /** When a STARTED task's attempt ends on its own: lease expiry or timeout, whichever first. */
  private deadline(task: Task): number {
    const expiry = task.lease!.expiresAt;
    return task.timeoutMs === undefined ? expiry : Math.min(expiry, task.startedAt! + task.timeoutMs);
  }

  private endAttempt(task: Task, error: { message: string; type: string }, retryable: boolean): void {
    const at = transition.failAttempt(task, error, retryable, this.clock.now(), this.random);
    this.counts.move(task.category, "started", task.status);
    if (at !== undefined) {
      this.timers.push(at, { kind: "ready", task });
      this.arm();
    }
  }

  /** Keeps one system timer armed for the earliest entry of the heap. */
  private arm(): void {
    const at = this.timers.peekAt();
    if (at === undefined || this.stopping) return;
    if (this.armed && this.armed.at <= at) return;
    if (this.armed) this.clock.clearTimer(this.armed.handle);
    const handle = this.clock.setTimer(() => this.fire(), Math.max(0, at - this.clock.now()));
    this.armed = { at, handle };
  }

  private fire(): void {
    this.armed = undefined;
    if (this.stopping) return;
    const now = this.clock.now();
    const changed: Task[] = [];
    const promoted: Task[] = [];
    for (let due = this.timers.popDue(now); due; due = this.timers.popDue(now)) {
      const { task } = due.value;
      if (due.value.kind === "ready") {
        const waiting =
          (task.status === "retry" && task.nextAttemptAt === due.at) ||
          (task.status === "pending" && task.readySeq === undefined && this.live.get(task.id) === task);
        if (!waiting) continue;
        const from = task.status;
        this.prepareReady(task);
        this.counts.move(task.category, from, task.status);
        promoted.push(task);
      } else {
        if (task.status !== "started" || task.lease?.token !== due.value.token) continue;
        if (this.deadline(task) > now) continue; // extended by a heartbeat: a later entry exists
        const timedOut = task.timeoutMs !== undefined && now >= task.startedAt! + task.timeoutMs;
        if (timedOut) {
          transition.failAttempt(task, transition.TIMEOUT_ERROR, false, now, this.random);
          this.counts.move(task.category, "started", task.status);
        } else {
          this.endAttempt(task, transition.LEASE_EXPIRED_ERROR, true);
        }
      }
      changed.push(task);
    }
    if (changed.length > 0) {
      this.writer
        .write([], changed)
        .then(() => {
          for (const t of changed) {
            this.hub.publish(t);
            if (isFinal(t.status) && this.live.get(t.id) === t) this.live.delete(t.id);
          }
          this.pushReady(promoted);
        })
        .catch(() => {}); // the writer has stopped and logged why
    }
    this.arm();
  }

  private scheduleRetention(): void {
    if (this.retentionMs <= 0 || this.stopping) return;
    this.retentionTimer = this.clock.setTimer(() => {
      this.purge(this.retentionMs)
        .then((deleted) => deleted > 0 && this.log.info({ deleted }, "retention: purged finished tasks"))
        .catch((err) => this.log.error({ err }, "retention purge failed"))
        .finally(() => this.scheduleRetention());
    }, RETENTION_CHECK_MS);
  }

  private async rebuild(): Promise<void> {
    this.counts.load(await this.store.taskCountByCategoryAndStatus());
    this.readySeq = await this.store.taskMaxReadySeq();
    const ready: Task[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await this.store.taskListUnfinished({ afterId, limit: 10_000 });
      for (const task of page) {
        this.live.set(task.id, task);
        if (task.status === "started" && task.lease) {
          this.timers.push(this.deadline(task), { kind: "lease", task, token: task.lease.token });
        } else if (task.status === "retry") {
          this.timers.push(task.nextAttemptAt ?? 0, { kind: "ready", task });
        } else if (task.status === "pending" && task.readySeq !== undefined) {
          ready.push(task);
        } else if (task.status === "pending") {
          this.timers.push(task.runAt ?? task.createdAt, { kind: "ready", task });
        }
      }
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
    }
    ready.sort((a, b) => a.readySeq! - b.readySeq!);
    for (const task of ready) this.category(task.category).ready.push(task);
    if (this.live.size > 0) this.log.info({ unfinished: this.live.size, ready: ready.length }, "queues rebuilt from the store");
    this.arm();
  }
}
