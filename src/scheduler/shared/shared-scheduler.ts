/**
 * The scheduler of a replica that shares its store with others (PostgreSQL).
 *
 * No replica's memory is the truth here, so every transition is one store transaction
 * that locks the task (see SharedStore): leases are claimed with SKIP LOCKED in priority
 * and FIFO order, acks and heartbeats check the lease token under the lock, and the
 * time-driven transitions are swept by whichever replica gets there first (sweeper.ts).
 * The transitions themselves are the same pure functions the in-memory scheduler uses.
 *
 * Replicas hear of each other's changes through the store's announcements (change-feed.ts):
 * they wake long-polls and feed watchers. An RPC answers after its transaction committed.
 * Category pause and limits are enforced by the store inside the lease transaction; this
 * replica only learns from them when to let its waiting polls look again (shared-categories.ts).
 */
import { v7 as uuidv7 } from "uuid";
import { GobqError, InvalidArgumentError, LeaseLostError, TaskNotFoundError, UnavailableError } from "../../task/errors.js";
import { type CategorySettings, type CategoryUpdate, validateCategoryUpdate } from "../../task/category-settings.js";
import { newTask } from "../../task/new-task.js";
import { type Task, isFinal } from "../../task/task.js";
import * as transition from "../../task/transitions.js";
import {
  BOUNDS,
  DEFAULT_LIMITS,
  type EnqueueInput,
  type EnqueueSpec,
  type Limits,
  checkId,
  checkRange,
  validateEnqueue,
  validateResult,
  validateTaskError,
} from "../../task/validate.js";
import type { SharedStore } from "../../store/shared-store.js";
import { checkHeartbeat, checkLeaseRequest } from "../check-inputs.js";
import { type Clock, systemClock } from "../clock.js";
import { Counts } from "../counts.js";
import { EventHub, type Subscription, type TaskEvent } from "../event-hub.js";
import type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput } from "../inputs.js";
import type { LeaseRequest } from "../lease-waiters.js";
import { freshLease, leasedOf, reclaimOf } from "../reclaim.js";
import { listPage } from "../list-page.js";
import { type ServerLoad, Slots, resolveOverloadLimits } from "../overload.js";
import type { SchedulerLog, SchedulerOptions } from "../scheduler-core.js";
import { Retention } from "../retention.js";
import { type ReadySummary, type Stats, buildStats } from "../stats.js";
import type { TaskScheduler } from "../task-scheduler.js";
import { watchCategory, watchTask } from "../watch.js";
import { changeFeed } from "./change-feed.js";
import { EditBatcher } from "./edit-batcher.js";
import { QueueRoom } from "./queue-room.js";
import { SharedCategories } from "./shared-categories.js";
import { SharedWaiters } from "./shared-waiters.js";
import { Sweeper } from "./sweeper.js";

/** Options of `SharedScheduler`: those of `Scheduler`, with a shared store. */
export interface SharedSchedulerOptions extends Omit<SchedulerOptions, "store"> {
  store: SharedStore;
  /** Longest time between two sweeps of due tasks, and between two looks of a waiting long-poll. Default 1,000 ms. */
  sweepEveryMs?: number;
}

const silentLog: SchedulerLog = { error() {}, info() {} };

/** See the module comment. Create with `SharedScheduler.open`. */
export class SharedScheduler implements TaskScheduler {
  private readonly store: SharedStore;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private readonly random: () => number;
  private readonly log: SchedulerLog;
  private readonly hub: EventHub;
  private readonly pollers: Slots;
  private readonly room: QueueRoom;
  private readonly waiters: SharedWaiters;
  private readonly sweeper: Sweeper;
  private readonly edits: EditBatcher;
  private readonly categories: SharedCategories;
  private readonly workersSeen = new Map<string, Map<string, number>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private recheck: unknown;
  private readonly retention: Retention;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  /** Starts listening to the other replicas and sweeping due tasks. */
  static async open(options: SharedSchedulerOptions): Promise<SharedScheduler> {
    const s = new SharedScheduler(options);
    const { store, hub, waiters, sweeper, categories } = s;
    await store.listen(changeFeed({ store, hub, waiters, sweeper, categories, onError: (err) => s.storeTrouble(err) }));
    await categories.load(); // after listening: no change of settings falls between
    s.sweeper.start();
    s.scheduleRecheck(options.sweepEveryMs ?? 1000);
    s.retention.start();
    return s;
  }

  private constructor(options: SharedSchedulerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silentLog;
    this.retention = new Retention({
      clock: this.clock,
      retentionMs: options.retentionMs ?? 7 * 24 * 3_600_000,
      purge: (ms) => this.purge(ms),
      log: this.log,
    });
    const overload = resolveOverloadLimits(options.overload);
    this.pollers = new Slots(overload.maxPollers, "waiting long-polls");
    this.hub = new EventHub(options.maxWatchBuffer ?? 10_000, overload.maxWatchers, options.maxWatchBufferTotal ?? 100_000);
    this.edits = new EditBatcher(this.store, () => this.clock.now());
    this.room = new QueueRoom(this.store, this.clock, overload, 1000);
    this.waiters = new SharedWaiters({
      clock: this.clock,
      tryLease: (req, names) => this.leaseNow(req, names),
      handBack: (tasks) => this.handBack(tasks),
      onError: (err) => this.storeTrouble(err),
    });
    this.categories = new SharedCategories({
      store: this.store,
      clock: this.clock,
      wake: (category) => this.waiters.wake(category),
      onError: (err) => this.storeTrouble(err),
    });
    this.sweeper = new Sweeper({
      store: this.store,
      clock: this.clock,
      random: this.random,
      maxSleepMs: options.sweepEveryMs ?? 1000,
      onError: (err) => this.storeTrouble(err),
    });
  }

  // ---- producers and admins -------------------------------------------------------------

  async enqueue(input: EnqueueInput): Promise<{ task: Task; deduplicated: boolean }> {
    const [result] = await this.enqueueValid([validateEnqueue(input, this.limits)]);
    return result!;
  }

  async enqueueMany(inputs: readonly EnqueueInput[]): Promise<Array<{ task: Task; deduplicated: boolean }>> {
    if (inputs.length > BOUNDS.maxBatch) {
      throw new InvalidArgumentError("tasks", `at most ${BOUNDS.maxBatch} per call, got ${inputs.length}`);
    }
    return this.enqueueValid(inputs.map((input, i) => validateEnqueue(input, this.limits, `tasks[${i}].`)));
  }

  async get(id: string): Promise<Task> {
    const key = checkId("id", id);
    const task = await this.run(() => this.store.taskGet({ id: key }));
    if (task === undefined) throw new TaskNotFoundError(id);
    return task;
  }

  list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string }> {
    return this.run(() => listPage(this.store, input));
  }

  async cancel(id: string): Promise<{ task: Task; cancelled: boolean }> {
    const key = checkId("id", id);
    this.assertChangesAllowed();
    const out = await this.modify(key, (task) => {
      if (isFinal(task.status) || task.cancelRequested) return false;
      if (task.status === "started") transition.requestCancel(task);
      else transition.cancelQueued(task, this.clock.now());
      return true;
    });
    return { task: out.task, cancelled: out.value };
  }

  async retry(id: string): Promise<{ task: Task; retried: boolean }> {
    const key = checkId("id", id);
    this.assertChangesAllowed();
    const out = await this.modify(key, (task) => {
      if (task.status !== "failed") return false;
      transition.manualRetry(task);
      return true;
    });
    return { task: out.task, retried: out.value };
  }

  async stats(): Promise<Stats> {
    const [rows, queues, settings] = await this.run(() =>
      Promise.all([this.store.taskCountByCategoryAndStatus(), this.store.taskQueueCounts(), this.store.categoryList()]),
    );
    const counts = new Counts();
    counts.load(rows);
    const now = this.clock.now();
    const perCategory = new Map<string, { ready: ReadySummary; workers: number }>();
    for (const q of queues) {
      const size = q.readyByRank.reduce((a, b) => a + b, 0);
      perCategory.set(q.category, { ready: { size, countByRank: q.readyByRank, oldestReadyAt: () => q.oldestReadyAt }, workers: 0 });
    }
    for (const [category, seen] of this.workersSeen) {
      for (const [worker, at] of seen) if (now - at > 60_000) seen.delete(worker);
      const entry = perCategory.get(category) ?? { ready: { size: 0, countByRank: [0, 0, 0, 0], oldestReadyAt: () => undefined }, workers: 0 };
      entry.workers = seen.size;
      perCategory.set(category, entry);
    }
    return buildStats(counts, perCategory, now, new Map(settings.map((c) => [c.category, c])));
  }

  load(): ServerLoad {
    return { watchers: this.hub.size, pollers: this.pollers.held, bufferedWatchEvents: this.hub.buffered };
  }

  watch(id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    return watchTask({ hub: this.hub, get: (key) => this.get(key), stillChanging: () => false }, id, afterSeq, signal);
  }

  watchAll(category: string | undefined, signal?: AbortSignal): Subscription {
    return watchCategory(this.hub, category, signal);
  }

  async purge(olderThanMs: number): Promise<number> {
    checkRange("older_than", olderThanMs, 0, Number.MAX_SAFE_INTEGER);
    this.assertChangesAllowed();
    const cutoff = this.clock.now() - olderThanMs;
    const deleted = await this.run(() => this.store.taskDeleteFinishedMany({ completedBefore: cutoff }));
    return deleted.reduce((sum, d) => sum + d.count, 0);
  }

  async updateCategory(update: CategoryUpdate): Promise<CategorySettings> {
    validateCategoryUpdate(update);
    this.assertChangesAllowed();
    const settings = await this.run(() => this.store.categoryUpdate(update));
    this.categories.changed(settings); // the announcement follows; polls here need not wait for it
    return settings;
  }

  // ---- workers --------------------------------------------------------------------------

  async lease(req: LeaseRequest, signal?: AbortSignal): Promise<LeasedTask[]> {
    checkLeaseRequest(req);
    this.assertChangesAllowed();
    const seen = this.workersSeen.get(req.category) ?? new Map<string, number>();
    seen.set(req.workerId, this.clock.now());
    this.workersSeen.set(req.category, seen);
    const names = req.taskNames && req.taskNames.length > 0 ? req.taskNames : undefined;
    // Only a reclaim awaits here: a plain poll starts waiting in this turn, as it always did.
    const reclaimed = req.reclaim === undefined ? [] : await this.reclaimLost(req);
    if (reclaimed.length > 0) {
      const more = reclaimed.length < req.maxTasks ? await this.leaseNow({ ...req, maxTasks: req.maxTasks - reclaimed.length }, names) : [];
      return this.leased([...reclaimed, ...more], signal);
    }
    let tasks: Task[];
    if (req.waitMs === 0) {
      tasks = await this.leaseNow(req, names);
    } else {
      // Waiting starts now, as with the in-memory scheduler; the poll's first look at the
      // store is the first round of its wait. A poll the limit refuses may still be
      // answered at once: only waiting counts against it.
      let release: () => void;
      try {
        release = this.pollers.take();
      } catch (refusal) {
        tasks = await this.leaseNow(req, names);
        if (tasks.length === 0) throw refusal;
        return this.leased(tasks, signal);
      }
      try {
        tasks = await this.waiters.wait(req, names, signal);
      } finally {
        release();
      }
    }
    return this.leased(tasks, signal);
  }

  /** What the caller of a lease gets — unless it left meanwhile, and the tasks go back. */
  private async leased(tasks: Task[], signal: AbortSignal | undefined): Promise<LeasedTask[]> {
    if (tasks.length === 0) return [];
    if (signal?.aborted) {
      // The caller left while its lease was being committed: it will never learn the tokens.
      await this.handBack(tasks);
      return [];
    }
    return tasks.map(leasedOf);
  }

  async heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
    const progress = checkHeartbeat(input);
    this.assertChangesAllowed();
    const { task } = await this.modifyLeased(input.taskId, input.leaseToken, (t) => {
      transition.reportProgress(t, progress, input.progressMessage);
      const lease = t.lease!;
      t.lease = { ...lease, expiresAt: this.clock.now() + (input.extendByMs ?? lease.durationMs) };
    });
    return { leaseExpiresAt: task.lease!.expiresAt, cancelRequested: task.cancelRequested };
  }

  async complete(input: AckInput): Promise<Task> {
    const result = validateResult(input.result, this.limits, "result");
    this.assertChangesAllowed();
    return (await this.modifyLeased(input.taskId, input.leaseToken, (t) => transition.completeAttempt(t, result, this.clock.now()))).task;
  }

  async fail(input: FailInput): Promise<Task> {
    const error = validateTaskError(input.error, this.limits, "error");
    this.assertChangesAllowed();
    const now = this.clock.now();
    const { task } = await this.modifyLeased(input.taskId, input.leaseToken, (t) => {
      if (input.requeue) transition.requeueAttempt(t, now);
      else transition.failAttempt(t, error, input.retryable, now, this.random);
    });
    return task;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  get draining(): boolean {
    return this.stopping;
  }

  drain(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.waiters.cancelAll();
    this.categories.stop();
    this.hub.endAll();
    this.clock.clearTimer(this.recheck);
    this.retention.stop();
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.sweeper.idle();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.drain();
      await this.sweeper.stop();
      await this.settled();
      await this.store.close();
    })();
    return this.stopped;
  }

  // ---- internals ------------------------------------------------------------------------

  private async enqueueValid(specs: readonly EnqueueSpec[]): Promise<Array<{ task: Task; deduplicated: boolean }>> {
    this.assertChangesAllowed();
    const now = this.clock.now();
    const tasks = specs.map((spec) => newTask(spec, uuidv7(), now));
    await this.run(() => this.room.claim(tasks));
    const results = await this.run(() => this.store.taskEnqueueMany({ tasks, now }));
    this.noteScheduled(results.map((r) => r.task));
    // Polls here need not wait for the announcement to come back.
    for (const category of new Set(results.filter((r) => r.task.readySeq !== undefined).map((r) => r.task.category))) {
      this.waiters.wake(category);
    }
    return results;
  }

  /** Gives a reclaiming worker new leases on the tasks it lost (reclaim.ts), committed. */
  private async reclaimLost(req: LeaseRequest): Promise<Task[]> {
    const reclaim = reclaimOf(req);
    if (reclaim === undefined || this.stopping) return [];
    const ids = await this.run(() => this.store.taskIdsLeasedTo({ category: req.category, workerId: req.workerId }));
    const candidates = ids.filter((id) => !reclaim.held.has(id)).slice(0, req.maxTasks);
    if (candidates.length === 0) return [];
    const now = this.clock.now();
    // Checked again under the lock: the lease may have ended since the ids were read.
    const edits = candidates.map((id) => ({
      id,
      change: (task: Task) => {
        if (!reclaim.lost(task)) return false;
        task.lease = freshLease(req, now);
        return true;
      },
    }));
    const outcomes = await this.run(() => this.store.taskModifyMany({ now, edits }));
    return outcomes.flatMap((o) => (o !== undefined && "task" in o && o.value === true ? [o.task] : []));
  }

  /** Claims ready tasks for one poll in the store. */
  private leaseNow(req: LeaseRequest, names: readonly string[] | undefined): Promise<Task[]> {
    if (this.stopping) return Promise.resolve([]);
    const now = this.clock.now();
    return this.run(() =>
      this.store.taskLeaseMany({
        category: req.category,
        names,
        limit: req.maxTasks,
        now,
        start: (task) => transition.startAttempt(task, freshLease(req, now), now),
        onHeld: (held) => this.categories.held(req.category, held),
      }),
    );
  }

  /** Returns leases no worker received to their queue, as if never leased. */
  private async handBack(tasks: readonly Task[]): Promise<void> {
    await Promise.all(
      tasks.map((leased) =>
        this.modify(leased.id, (task) => {
          if (task.status !== "started" || task.lease?.token !== leased.lease?.token) return;
          const requeued = !task.cancelRequested; // a cancel asked meanwhile ends it instead
          transition.requeueAttempt(task, this.clock.now());
          if (requeued) task.attempt -= 1;
        }).catch((err: unknown) => this.storeTrouble(err)),
      ),
    );
  }

  /** Edits a STARTED task whose lease `token` proves; otherwise LEASE_LOST (or NOT_FOUND). */
  private modifyLeased(taskId: string, token: string, change: (task: Task) => void): Promise<{ task: Task; value: void }> {
    const id = checkId("task_id", taskId);
    if (token === "") throw new InvalidArgumentError("lease_token", "is required");
    return this.modify(id, (task) => {
      if (task.status !== "started" || task.lease?.token !== token) throw new LeaseLostError(taskId);
      change(task);
    });
  }

  private async modify<T>(id: string, change: (task: Task) => T): Promise<{ task: Task; value: T }> {
    const out = await this.run(() => this.edits.add(id, change));
    if (out === undefined) throw new TaskNotFoundError(id);
    this.noteScheduled([out.task]);
    return out;
  }

  /** A task that waits for a time (backoff, run_at) may be due before the sweeper's next look. */
  private noteScheduled(tasks: readonly Task[]): void {
    if (tasks.some((t) => t.status === "retry" || (t.status === "pending" && t.readySeq === undefined))) this.sweeper.soon();
  }

  /**
   * Runs one store call, tracked so that `stop` waits for it. A failure that is not a
   * domain error means the store is away: callers get UNAVAILABLE (retry later), and the
   * cause is logged.
   */
  private run<T>(call: () => Promise<T>): Promise<T> {
    const p = call().catch((err: unknown) => {
      if (err instanceof GobqError) throw err;
      this.storeTrouble(err);
      throw new UnavailableError("the store is unreachable; try again later");
    });
    this.inFlight.add(p);
    void p.then(
      () => this.inFlight.delete(p),
      () => this.inFlight.delete(p),
    );
    return p;
  }

  private storeTrouble(err: unknown): void {
    if (err instanceof GobqError) return;
    this.log.error({ err }, "store call failed");
  }

  private assertChangesAllowed(): void {
    if (this.stopping) throw new UnavailableError("the server is shutting down");
  }

  /** Waiting long-polls look again now and then, in case an announcement was lost. */
  private scheduleRecheck(everyMs: number): void {
    if (this.stopping) return;
    this.recheck = this.clock.setTimer(() => {
      this.waiters.wakeAll();
      this.scheduleRecheck(everyMs);
    }, everyMs);
  }
}
