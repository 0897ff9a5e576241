/**
 * The scheduler: gobq's in-memory queues in front of a durable store.
 *
 * It holds every unfinished task in memory — per category, ready FIFOs per name and
 * priority (ready-queue.ts), and one timer heap for run_at, retry backoff, lease expiry and
 * attempt timeouts — and decides every transition synchronously, so two RPCs can never
 * lease the same task. Each change is then committed through the group commit; an RPC
 * answers, and watchers hear of the change, only after it is durable. A task becomes
 * leasable only after its enqueue is committed. Category pause and limits are applied as
 * tasks are taken (category-gate.ts), from settings loaded at start and kept on each change.
 *
 * Invariants: a task is in `live` while unfinished or while its final state is not yet
 * committed, except while it waits in its category's ReadyQueue, which then holds it alone;
 * a committed PENDING task with a readySeq is in that ReadyQueue exactly once.
 */
import { v7 as uuidv7 } from "uuid";
import { InvalidArgumentError, TaskNotFoundError, UnavailableError } from "../task/errors.js";
import { type Task, isFinal } from "../task/task.js";
import { type CategorySettings, type CategoryUpdate, validateCategoryUpdate } from "../task/category-settings.js";
import * as transition from "../task/transitions.js";
import { newTask } from "../task/new-task.js";
import {
  BOUNDS,
  type EnqueueInput,
  type EnqueueSpec,
  checkId,
  checkRange,
  validateEnqueue,
  validateResult,
  validateTaskError,
} from "../task/validate.js";
import type { Subscription, TaskEvent } from "./event-hub.js";
import type { LeaseRequest } from "./lease-waiters.js";
import { type CategoryStats, type Stats, buildStats } from "./stats.js";
import type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput } from "./inputs.js";
import type { ReadyQueue } from "./ready-queue.js";
import type { ServerLoad } from "./overload.js";
import { type HandOff, SchedulerCore, type SchedulerLog, type SchedulerOptions } from "./scheduler-core.js";
import type { TaskScheduler } from "./task-scheduler.js";
import { listPage } from "./list-page.js";
import { checkHeartbeat, checkLeaseRequest } from "./check-inputs.js";
import { freshLease, leasedOf, reclaimOf } from "./reclaim.js";
import { watchCategory, watchTask } from "./watch.js";

export type { AckInput, FailInput, HeartbeatInput, HeartbeatResult, LeasedTask, ListInput, LeaseRequest, Stats, CategoryStats, TaskEvent };
export type { SchedulerLog, SchedulerOptions, ServerLoad };

/** See the module comment. Create with `Scheduler.open`. */
export class Scheduler extends SchedulerCore implements TaskScheduler {
  /** Builds a scheduler and rebuilds its queues from the store: every unfinished task returns to its place. */
  static async open(options: SchedulerOptions): Promise<Scheduler> {
    const s = new Scheduler(options);
    await s.rebuild();
    s.retention.start();
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

  /**
   * One page of tasks, newest first; `pageToken` is the previous page's `nextPageToken`.
   *
   * Rows come from the store, swapped for the live task where one is held. A change made in
   * memory but still being committed is in neither for a moment: a task whose final status
   * commits after the store was read has left `live` by the time its row is swapped. So the
   * store is read only once every change made before this call is committed — a page never
   * shows a task older than `get` or `stats` showed before it.
   */
  async list(input: ListInput): Promise<{ tasks: Task[]; nextPageToken: string }> {
    await this.writer.committed();
    return listPage(this.store, input, (t) => this.live.get(t.id) ?? t);
  }

  /**
   * PENDING or RETRY → CANCELLED; STARTED → cancel requested of its worker; a finished
   * task is left as it is (`cancelled: false`).
   */
  async cancel(id: string): Promise<{ task: Task; cancelled: boolean }> {
    const task = await this.get(id);
    const live = this.live.get(task.id) ?? this.unqueue(task);
    if (live === undefined || isFinal(live.status)) return { task, cancelled: false };
    this.assertChangesAllowed();
    if (live.status === "started") {
      if (live.cancelRequested) return { task: live, cancelled: false };
      transition.requestCancel(live);
    } else {
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
    return buildStats(this.counts, perCategory, now, this.gate.all);
  }

  /**
   * Pauses or resumes a category or changes its limits (unset fields are left as they are);
   * leases obey the new settings once they are committed. Returns the category's settings.
   */
  async updateCategory(update: CategoryUpdate): Promise<CategorySettings> {
    validateCategoryUpdate(update);
    this.assertChangesAllowed();
    const settings = await this.store.categoryUpdate(update);
    this.gate.set(settings);
    this.dispatch(settings.category); // resumed, or a limit raised: waiting long-polls may lease now
    return settings;
  }

  /** What callers hold open now: watch streams, waiting long-polls, and events buffered for watchers. */
  load(): ServerLoad {
    return { watchers: this.hub.size, pollers: this.pollers.held, bufferedWatchEvents: this.hub.buffered };
  }

  /**
   * The task as it is now (unless it has not changed since `afterSeq`), then each change,
   * ending after a final status.
   */
  watch(id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    return watchTask({ hub: this.hub, get: (key) => this.get(key), stillChanging: (key) => this.live.has(key) }, id, afterSeq, signal);
  }

  /** Every committed change in one category (or all): a feed that ends only at shutdown. */
  watchAll(category: string | undefined, signal?: AbortSignal): Subscription {
    return watchCategory(this.hub, category, signal);
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
    checkLeaseRequest(req);
    if (this.stopping) throw new UnavailableError("the server is shutting down");
    this.writer.assertWritable();
    const c = this.category(req.category);
    c.workersSeen.set(req.workerId, this.clock.now());
    const names = req.taskNames && req.taskNames.length > 0 ? new Set(req.taskNames) : undefined;
    // Only a reclaim awaits here: a plain poll starts waiting in this turn, as it always did.
    const reclaimed = req.reclaim === undefined ? [] : await this.reclaimLost(req);
    if (reclaimed.length > 0) {
      const more = reclaimed.length < req.maxTasks ? this.takeReady(c, names, { ...req, maxTasks: req.maxTasks - reclaimed.length }) : [];
      return [...reclaimed, ...(await this.commitLeases(more))];
    }
    let tasks = this.takeReady(c, names, req);
    let handed: Promise<LeasedTask[]> | undefined;
    if (tasks.length === 0 && req.waitMs > 0) {
      const release = this.pollers.take(); // RESOURCE_EXHAUSTED when too many polls wait already
      try {
        const answer = await c.waiters.wait({ names, req, clock: this.clock, signal });
        if ("leases" in answer) handed = answer.leases;
        else tasks = answer.tasks;
      } finally {
        release();
      }
    }
    if (handed === undefined && tasks.length === 0) return [];
    const leased = await (handed ?? this.commitLeases(tasks));
    if (!signal?.aborted) return leased;
    // The caller left while its lease was being committed: it will never learn the tokens.
    await this.handBack(leased);
    return [];
  }

  /** Gives a reclaiming worker new leases on the tasks it lost (reclaim.ts), committed. */
  private async reclaimLost(req: LeaseRequest): Promise<LeasedTask[]> {
    const reclaim = reclaimOf(req);
    if (reclaim === undefined) return [];
    const now = this.clock.now();
    const tasks: Task[] = [];
    for (const task of this.live.values()) {
      if (tasks.length === req.maxTasks) break;
      if (!reclaim.lost(task)) continue;
      task.lease = freshLease(req, now);
      this.timers.push(this.deadline(task), { kind: "lease", task, token: task.lease.token });
      tasks.push(task);
    }
    if (tasks.length === 0) return [];
    this.arm();
    const leases = tasks.map(leasedOf);
    // Only the lease changed: no status, no event, as for a heartbeat.
    await this.writer.write([], tasks);
    return leases;
  }

  /** Extends a lease and records progress; says whether cancel was requested. */
  async heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
    const progress = checkHeartbeat(input);
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
    this.gate.stop();
    this.hub.endAll();
    if (this.armed) this.clock.clearTimer(this.armed.handle);
    this.armed = undefined;
    this.retention.stop();
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

  // ---- enqueue internals ------------------------------------------------------------

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
      const task = newTask(spec, uuidv7(), now);
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
    let handOff: HandOff | undefined;
    try {
      await Promise.all(
        [...claimed].map(async ([key, c]) => {
          const stored = await this.store.taskGetByIdempotencyKey({ key });
          winners.set(key, stored === undefined ? c.task : (this.live.get(stored.id) ?? stored));
        }),
      );
      const insert = created.filter((t) => t.idempotencyKey === undefined || winners.get(t.idempotencyKey) === t);
      try {
        // Checked in the same step that counts the tasks, so concurrent enqueues cannot both pass.
        this.assertQueueRoom(insert);
        const now = this.clock.now();
        const ready: Task[] = [];
        for (const t of insert) {
          this.live.set(t.id, t);
          this.counts.add(t.category, t.status, 1);
          if (t.runAt === undefined || t.runAt <= now) {
            this.prepareReady(t);
            ready.push(t);
          }
        }
        handOff = this.handOff(ready);
        try {
          await this.writer.write(insert, []);
        } catch (err) {
          for (const t of insert) {
            this.live.delete(t.id);
            this.counts.add(t.category, t.status, -1);
            this.awaitingCommit.delete(t);
          }
          handOff?.settle(err);
          throw err;
        }
      } catch (err) {
        // Callers waiting on a key this call claimed must not be handed a task that was never stored.
        for (const t of insert) if (t.idempotencyKey !== undefined) winners.delete(t.idempotencyKey);
        throw err;
      }
      this.queueCommitted(insert);
      handOff?.settle();
    } finally {
      for (const [key, c] of claimed) {
        this.pendingKeys.delete(key);
        c.settle(winners.get(key));
      }
    }
    // A task handed to a worker at once is answered as it was enqueued, as any other is.
    const asEnqueued = (task: Task) => handOff?.pending.get(task) ?? task;
    // Without idempotency keys every slot is a new task: no promise per slot.
    if (claimed.size === 0 && created.length === slots.length) return created.map((task) => ({ task: asEnqueued(task), deduplicated: false }));
    const seenKeys = new Set<string>();
    return Promise.all(
      slots.map(async (slot, i) => {
        if (typeof slot === "string") {
          const task = asEnqueued(winners.get(slot)!);
          const first = !seenKeys.has(slot);
          seenKeys.add(slot);
          return { task, deduplicated: !(first && claimed.get(slot)!.task === winners.get(slot)) };
        }
        if (!(slot instanceof Promise)) return { task: asEnqueued(slot), deduplicated: false };
        const task = await slot;
        if (task === undefined) throw new UnavailableError(`tasks[${i}]: the enqueue holding its idempotency key failed; retry`);
        return { task, deduplicated: true };
      }),
    );
  }

  /**
   * Queues newly committed tasks (or schedules the delayed ones), tells watchers, wakes
   * long-polls. Tasks handed over at enqueue (STARTED already) are the hand-off's to publish.
   */
  private queueCommitted(tasks: readonly Task[]): void {
    for (const t of tasks) {
      if (t.status === "started") continue;
      if (t.readySeq === undefined) this.timers.push(t.runAt!, { kind: "ready", task: t });
      this.hub.publish(t);
    }
    this.arm();
    this.pushReady(tasks);
  }
}
