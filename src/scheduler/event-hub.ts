/**
 * Fan-out of task changes to watchers.
 *
 * Events are published after the change they describe is committed, so a watcher never
 * sees a state the store could lose. Each event carries the whole task, so a watcher that
 * falls behind can skip intermediate progress (latest wins) without missing a status: a
 * buffered progress event is replaced by a newer one of the same task and status. A
 * watcher of many tasks that still falls `maxBuffered` events behind — or that would take
 * the events buffered for all watchers past `maxBufferedTotal` — is ended with
 * ResourceExhaustedError; it re-opens and starts again from a snapshot. So however slowly
 * watchers read, the server buffers a bounded number of events.
 */
import { ResourceExhaustedError } from "../task/errors.js";
import type { Task } from "../task/task.js";

/** One change of a task: the task as it is after the change. */
export interface TaskEvent {
  seq: number;
  task: Task;
}

/** What a subscription receives: one task, one category, or everything. */
export type Topic = { taskId: string } | { category: string } | { all: true };

/** Events buffered for all watchers of one hub, and the most it may hold. */
interface BufferTally {
  buffered: number;
  readonly max: number;
}

/** A live feed of events; iterate it, and `close()` (or break) to unsubscribe. */
export class Subscription implements AsyncIterable<TaskEvent> {
  private buffer: TaskEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private error: Error | undefined;

  constructor(
    private readonly maxBuffered: number,
    private readonly tally: BufferTally,
    private readonly onClose: () => void,
  ) {}

  /** Queues an event (called by the hub). */
  push(event: TaskEvent): void {
    if (this.ended) return;
    const last = this.buffer[this.buffer.length - 1];
    if (last !== undefined && last.task.id === event.task.id && last.task.status === event.task.status) {
      this.buffer[this.buffer.length - 1] = event;
    } else if (this.buffer.length >= this.maxBuffered) {
      this.fail(new ResourceExhaustedError(`watcher fell more than ${this.maxBuffered} events behind; re-open the watch`));
      return;
    } else if (this.tally.buffered >= this.tally.max) {
      this.fail(new ResourceExhaustedError(`watchers together fell ${this.tally.max} events behind; re-open the watch`));
      return;
    } else {
      this.buffer.push(event);
      this.tally.buffered++;
    }
    this.notify();
  }

  /** Ends the feed after what is buffered. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Ends the feed with an error, dropping what is buffered. */
  fail(err: Error): void {
    this.error = err;
    this.drop();
    this.end();
  }

  /** Unsubscribes and drops what was not read: the reader is leaving. Pending reads finish. */
  close(): void {
    if (!this.ended) this.end();
    this.drop();
    this.onClose();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TaskEvent> {
    try {
      for (;;) {
        const event = this.buffer.shift();
        if (event !== undefined) {
          this.tally.buffered--;
          yield event;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.close();
    }
  }

  private drop(): void {
    this.tally.buffered -= this.buffer.length;
    this.buffer = [];
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Routes events to the subscriptions of their task, their category, and everything. */
export class EventHub {
  private readonly byTask = new Map<string, Set<Subscription>>();
  private readonly byCategory = new Map<string, Set<Subscription>>();
  private readonly all = new Set<Subscription>();
  private count = 0;
  private readonly tally: BufferTally;

  constructor(
    private readonly maxBuffered: number,
    /** Open subscriptions allowed at once; more are refused with ResourceExhaustedError. Default: no limit. */
    private readonly maxSubscriptions = Infinity,
    /** Events buffered for all subscriptions together; see the module comment. Default: no limit. */
    maxBufferedTotal = Infinity,
  ) {
    this.tally = { buffered: 0, max: maxBufferedTotal };
  }

  /** Number of open subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Events published and not yet read by their watchers, over all subscriptions. */
  get buffered(): number {
    return this.tally.buffered;
  }

  /** A new feed of `topic`; ResourceExhaustedError if `maxSubscriptions` are open. */
  subscribe(topic: Topic): Subscription {
    if (this.count >= this.maxSubscriptions) {
      throw new ResourceExhaustedError(`${this.count} watchers are open, the limit; try again later`);
    }
    const set = this.setFor(topic);
    const sub: Subscription = new Subscription(this.maxBuffered, this.tally, () => {
      if (set.delete(sub)) this.count--;
      if (set.size === 0) this.dropEmpty(topic, set);
    });
    set.add(sub);
    this.count++;
    return sub;
  }

  /** Whether anyone watches this task, its category, or everything: if not, publishing it is a no-op. */
  watches(taskId: string, category: string): boolean {
    return this.all.size > 0 || this.byTask.has(taskId) || this.byCategory.has(category);
  }

  /** Ids of the tasks watched one by one. */
  watchedTasks(): string[] {
    return [...this.byTask.keys()];
  }

  /** Delivers the task's current state as an event. Takes a copy: the task object keeps changing. */
  publish(task: Task): void {
    if (this.count === 0) return;
    const event: TaskEvent = { seq: task.seq, task: { ...task } };
    for (const sub of this.byTask.get(task.id) ?? []) sub.push(event);
    for (const sub of this.byCategory.get(task.category) ?? []) sub.push(event);
    for (const sub of this.all) sub.push(event);
  }

  /** Ends every subscription (server shutdown). */
  endAll(): void {
    for (const set of [...this.byTask.values(), ...this.byCategory.values(), this.all]) {
      for (const sub of [...set]) sub.end();
    }
  }

  private setFor(topic: Topic): Set<Subscription> {
    if ("all" in topic) return this.all;
    const [map, key] = "taskId" in topic ? [this.byTask, topic.taskId] : [this.byCategory, topic.category];
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }

  private dropEmpty(topic: Topic, set: Set<Subscription>): void {
    if ("taskId" in topic && this.byTask.get(topic.taskId) === set) this.byTask.delete(topic.taskId);
    else if ("category" in topic && this.byCategory.get(topic.category) === set) this.byCategory.delete(topic.category);
  }
}
