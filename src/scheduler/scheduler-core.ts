/**
 * The scheduler's state and machinery: live tasks, per-category ready queues and
 * long-polls, the timer heap, exact counts, the group commit and the event hub — and the
 * internal steps every operation is made of. `Scheduler` (scheduler.ts) builds the public
 * operations on top. See scheduler.ts for the invariants.
 */
import { InvalidArgumentError, LeaseLostError, TaskNotFoundError, UnavailableError } from "../task/errors.js";
import { type Task, isFinal, priorityRank } from "../task/task.js";
import * as transition from "../task/transitions.js";
import { DEFAULT_LIMITS, type Limits, checkId } from "../task/validate.js";
import type { Store } from "../store/store.js";
import { type Clock, systemClock } from "./clock.js";
import { Counts } from "./counts.js";
import { EventHub } from "./event-hub.js";
import { GroupCommit } from "./group-commit.js";
import { TimerHeap } from "./heap.js";
import { LeaseWaiters, type LeaseRequest } from "./lease-waiters.js";
import { type OverloadLimits, Slots, checkQueueRoom, resolveOverloadLimits } from "./overload.js";
import { ReadyQueue } from "./ready-queue.js";
import { Retention } from "./retention.js";
import { CategoryGate } from "./category-gate.js";
import { freshLease, leasedOf } from "./reclaim.js";
import type { LeasedTask } from "./inputs.js";

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
  /** Events buffered for all watchers together before the one adding is ended. Default 100,000 (≈ 30 MB). */
  maxWatchBufferTotal?: number;
  /** Limits on queued tasks, watchers and waiting long-polls; each unset one at its default (overload.ts). */
  overload?: Partial<OverloadLimits>;
  /** Finished tasks are purged this long after they finish, checked hourly; 0 keeps them. Default 7 days. */
  retentionMs?: number;
}

/** Tasks an enqueue handed to waiting polls (`handOff`). */
export interface HandOff {
  /** Each task handed over, and its state as enqueued. */
  pending: ReadonlyMap<Task, Task>;
  /** Call with the enqueue's write outcome: the polls' leases resolve, or reject with it. */
  settle(err?: unknown): void;
}

type TimerEntry = { kind: "ready"; task: Task } | { kind: "lease"; task: Task; token: string };

/** Per category: its ready queue, its waiting long-polls and who leased lately. */
interface Category {
  ready: ReadyQueue;
  waiters: LeaseWaiters;
  workersSeen: Map<string, number>;
}

const silentLog: SchedulerLog = { error() {}, info() {} };

/** See the module comment. Create with `Scheduler.open`. */
/** Shared state and steps of the scheduler; see the module comment. */
export abstract class SchedulerCore {
  /** Deletes finished tasks older than this; retention calls it hourly. */
  abstract purge(olderThanMs: number): Promise<number>;

  protected readonly store: Store;
  protected readonly clock: Clock;
  protected readonly limits: Limits;
  protected readonly random: () => number;
  protected readonly log: SchedulerLog;
  protected readonly writer: GroupCommit;
  protected readonly hub: EventHub;
  protected readonly overload: OverloadLimits;
  /** LeaseTasks long-polls waiting now, in all categories. */
  protected readonly pollers: Slots;
  /**
   * Unfinished tasks as Task objects, by id — except ready tasks waiting in a ready queue,
   * which are held there only in compact form and are read from the store by id (see
   * `unqueue`): a million queued tasks would cost ~500 bytes each here.
   */
  protected readonly live = new Map<string, Task>();
  protected readonly categories = new Map<string, Category>();
  protected readonly timers = new TimerHeap<TimerEntry>();
  protected readonly counts = new Counts();
  /** Pause and limits per category, applied in takeReady. */
  protected readonly gate: CategoryGate;
  /** Enqueues in flight by idempotency key, so concurrent duplicates see one task. */
  protected readonly pendingKeys = new Map<string, Promise<Task | undefined>>();
  protected readySeq = 0;
  /** Tasks given a readySeq whose commit is in flight; see prepareReady. */
  protected readonly awaitingCommit = new Set<Task>();
  protected armed: { at: number; handle: unknown } | undefined;
  protected stopping = false;
  protected readonly retention: Retention;

  protected constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silentLog;
    this.overload = resolveOverloadLimits(options.overload);
    this.pollers = new Slots(this.overload.maxPollers, "waiting long-polls");
    this.hub = new EventHub(options.maxWatchBuffer ?? 10_000, this.overload.maxWatchers, options.maxWatchBufferTotal ?? 100_000);
    this.gate = new CategoryGate(this.clock, (category) => this.dispatch(category));
    this.writer = new GroupCommit({
      store: this.store,
      onFailure: (err) => this.log.error({ err }, "store write failed; refusing further changes"),
    });
    this.retention = new Retention({
      clock: this.clock,
      retentionMs: options.retentionMs ?? 7 * 24 * 3_600_000,
      purge: (ms) => this.purge(ms),
      log: this.log,
    });
  }


  /** Returns leases no worker received to their queue, as if never leased. */
  protected async handBack(leased: readonly LeasedTask[]): Promise<void> {
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
    for (const t of back) this.released(t.category);
    for (const t of back) this.hub.publish(t);
    this.pushReady(back);
  }

  /** The live STARTED task if `token` is its current lease; otherwise LEASE_LOST or NOT_FOUND. */
  protected async leased(taskId: string, token: string): Promise<Task> {
    const id = checkId("task_id", taskId);
    if (token === "") throw new InvalidArgumentError("lease_token", "is required");
    const task = this.live.get(id);
    if (task?.status === "started" && task.lease?.token === token) return task;
    if (task === undefined && (await this.store.taskGet({ id })) === undefined) throw new TaskNotFoundError(taskId);
    throw new LeaseLostError(taskId);
  }

  protected assertChangesAllowed(): void {
    if (this.stopping) throw new UnavailableError("the server is shutting down");
    this.writer.assertWritable();
  }

  /** Refuses new tasks that would pass a queue limit (overload.ts), before anything changes. */
  protected assertQueueRoom(tasks: readonly Task[]): void {
    if (tasks.length === 0) return;
    const adding = new Map<string, number>();
    for (const t of tasks) adding.set(t.category, (adding.get(t.category) ?? 0) + 1);
    checkQueueRoom(
      this.overload,
      {
        total: () => this.counts.total("pending") + this.counts.total("retry"),
        inCategory: (c) => this.counts.get(c, "pending") + this.counts.get(c, "retry"),
      },
      adding,
    );
  }

  /** Commits one task's change, publishes it, and drops it from memory if it is final. */
  protected async commit(task: Task): Promise<void> {
    await this.writer.write([], [task]);
    this.hub.publish(task);
    if (task.status !== "started") this.released(task.category);
    if (isFinal(task.status) && this.live.get(task.id) === task) this.live.delete(task.id);
  }

  protected category(name: string): Category {
    let c = this.categories.get(name);
    if (c === undefined) {
      c = { ready: new ReadyQueue(name), waiters: new LeaseWaiters(), workersSeen: new Map() };
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
  protected prepareReady(task: Task): void {
    transition.becomeReady(task, ++this.readySeq, this.clock.now());
    this.awaitingCommit.add(task);
  }

  /**
   * After their commit: queues the tasks still ready and hands them to waiting long-polls.
   * A queued task leaves `live`: its queue holds it, the store has it exactly as it is.
   */
  protected pushReady(tasks: readonly Task[]): void {
    const touched = new Set<string>();
    for (const t of tasks) {
      if (!this.awaitingCommit.delete(t)) continue;
      if (t.status !== "pending" || t.readySeq === undefined) continue; // cancelled meanwhile
      this.category(t.category).ready.push(t);
      if (this.live.get(t.id) === t) this.live.delete(t.id);
      touched.add(t.category);
    }
    for (const category of touched) this.dispatch(category);
  }

  /**
   * A ready task read from the store, taken out of its ready queue and made live, so that
   * it can be changed (cancel). Undefined if it no longer waits there: it was leased or
   * cancelled while it was being read.
   */
  protected unqueue(stored: Task): Task | undefined {
    if (stored.status !== "pending" || stored.readySeq === undefined || this.live.has(stored.id)) return undefined;
    this.assertChangesAllowed(); // taken out, it must be cancelled: nothing else would queue it again
    if (!this.categories.get(stored.category)?.ready.remove(stored)) return undefined;
    this.live.set(stored.id, stored);
    return stored;
  }

  /** Takes ready tasks and starts their attempts in memory (committed by the caller). */
  protected takeReady(c: Category, names: ReadonlySet<string> | undefined, req: LeaseRequest): Task[] {
    const max = this.gate.allowance(req.category, req.maxTasks, this.counts);
    const tasks = max > 0 ? c.ready.take(names, max) : [];
    for (const task of tasks) this.live.set(task.id, task);
    this.startAttempts(tasks, req);
    return tasks;
  }

  /** Starts the attempts of ready, live tasks under new leases for `req`'s worker, in memory. */
  private startAttempts(tasks: readonly Task[], req: LeaseRequest): void {
    this.gate.started(req.category, tasks.length);
    const now = this.clock.now();
    for (const task of tasks) {
      const lease = freshLease(req, now);
      transition.startAttempt(task, lease, now);
      this.counts.move(task.category, "pending", "started");
      this.timers.push(this.deadline(task), { kind: "lease", task, token: lease.token });
    }
    if (tasks.length > 0) this.arm();
  }

  /**
   * The fast lane: ready tasks of one enqueue handed straight to long-polls waiting in their
   * category, their leases written by the enqueue's own commit. A worker that waits then
   * gets a new task after one durable write instead of two in sequence (the enqueue's, then
   * its lease's). Only when that cannot reorder anything: no other ready task awaits its
   * commit, and the category's queue is empty (a waiting poll may still be held back by the
   * category's pause or limits, which apply here as in `takeReady`).
   *
   * Call with the enqueue's ready tasks after `prepareReady` and before their write; then
   * `settle` with the write's outcome. `pending` maps each task handed over to its state
   * as enqueued, which the enqueue answers and publishes before the lease.
   */
  protected handOff(ready: readonly Task[]): HandOff | undefined {
    if (this.pollers.held === 0 || ready.length === 0 || this.awaitingCommit.size !== ready.length) return undefined;
    let settle!: (err?: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    const pending = new Map<Task, Task>();
    const byCategory = new Map<string, Task[]>();
    for (const t of ready) {
      const c = this.categories.get(t.category);
      if (c === undefined || c.waiters.size === 0 || c.ready.size > 0) continue;
      let list = byCategory.get(t.category);
      if (list === undefined) byCategory.set(t.category, (list = []));
      list.push(t);
    }
    for (const [category, tasks] of byCategory) {
      // Lease order: higher priority first, FIFO within one (readySeq follows the call's order).
      tasks.sort((a, b) => priorityRank(b.priority) - priorityRank(a.priority) || a.readySeq! - b.readySeq!);
      this.categories.get(category)!.waiters.handOver(
        tasks,
        (req) => this.gate.allowance(category, req.maxTasks, this.counts),
        (req, taken) => {
          for (const t of taken) {
            pending.set(t, { ...t });
            this.awaitingCommit.delete(t);
          }
          this.startAttempts(taken, req);
          const leases = taken.map(leasedOf);
          return committed.then(() => leases);
        },
      );
    }
    if (pending.size === 0) return undefined;
    return {
      pending,
      settle: (err) => {
        if (err === undefined) {
          for (const [task, enqueued] of pending) {
            this.hub.publish(enqueued);
            this.hub.publish(task);
          }
        }
        settle(err);
      },
    };
  }

  protected async commitLeases(tasks: Task[]): Promise<LeasedTask[]> {
    // Taken before the write: the objects may change while it runs.
    const leases = tasks.map(leasedOf);
    await this.writer.write([], tasks);
    for (const t of tasks) this.hub.publish(t);
    return leases;
  }

  /** A task of the category stopped being STARTED: if the category caps its running tasks, a lease may start one now. */
  protected released(category: string): void {
    if (this.gate.capsRunning(category)) this.dispatch(category);
  }

  /** Hands ready tasks of a category to waiting long-polls, oldest poll first. */
  protected dispatch(category: string): void {
    const c = this.categories.get(category);
    if (c === undefined || c.ready.size === 0) return;
    c.waiters.serve((names, req) => this.takeReady(c, names, req));
  }

  /** When a STARTED task's attempt ends on its own: lease expiry or timeout, whichever first. */
  protected deadline(task: Task): number {
    const expiry = task.lease!.expiresAt;
    return task.timeoutMs === undefined ? expiry : Math.min(expiry, task.startedAt! + task.timeoutMs);
  }

  protected endAttempt(task: Task, error: { message: string; type: string }, retryable: boolean): void {
    const at = transition.failAttempt(task, error, retryable, this.clock.now(), this.random);
    this.counts.move(task.category, "started", task.status);
    if (at !== undefined) {
      this.timers.push(at, { kind: "ready", task });
      this.arm();
    }
  }

  /** Keeps one system timer armed for the earliest entry of the heap. */
  protected arm(): void {
    const at = this.timers.peekAt();
    if (at === undefined || this.stopping) return;
    if (this.armed && this.armed.at <= at) return;
    if (this.armed) this.clock.clearTimer(this.armed.handle);
    const handle = this.clock.setTimer(() => this.fire(), Math.max(0, at - this.clock.now()));
    this.armed = { at, handle };
  }

  protected fire(): void {
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
            this.released(t.category);
            this.hub.publish(t);
            if (isFinal(t.status) && this.live.get(t.id) === t) this.live.delete(t.id);
          }
          this.pushReady(promoted);
        })
        .catch(() => {}); // the writer has stopped and logged why
    }
    this.arm();
  }

  protected async rebuild(): Promise<void> {
    this.counts.load(await this.store.taskCountByCategoryAndStatus());
    for (const settings of await this.store.categoryList()) this.gate.set(settings);
    this.readySeq = await this.store.taskMaxReadySeq();
    const ready: Task[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await this.store.taskListUnfinished({ afterId, limit: 10_000 });
      for (const task of page) {
        if (task.status === "pending" && task.readySeq !== undefined) {
          ready.push(task); // held by its ready queue, not by `live`
          continue;
        }
        this.live.set(task.id, task);
        if (task.status === "started" && task.lease) {
          this.timers.push(this.deadline(task), { kind: "lease", task, token: task.lease.token });
        } else if (task.status === "retry") {
          this.timers.push(task.nextAttemptAt ?? 0, { kind: "ready", task });
        } else if (task.status === "pending") {
          this.timers.push(task.runAt ?? task.createdAt, { kind: "ready", task });
        }
      }
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
    }
    ready.sort((a, b) => a.readySeq! - b.readySeq!);
    for (const task of ready) this.category(task.category).ready.push(task);
    const unfinished = this.live.size + ready.length;
    if (unfinished > 0) this.log.info({ unfinished, ready: ready.length }, "queues rebuilt from the store");
    this.arm();
  }
}
