/**
 * Long-polls of one replica when the store decides leases.
 *
 * A task may be enqueued through any replica, so a waiting poll cannot be handed tasks
 * from memory: it is woken when its category may have a ready task (an announcement from
 * the store, or an enqueue here) and then tries to lease in the store. One wake runs at a
 * time per category; wakes that arrive meanwhile run it once more. Polls are tried oldest
 * first, and a poll for any name that finds nothing ends the round: nothing is ready.
 */
import type { Task } from "../../task/task.js";
import type { Clock } from "../clock.js";
import type { LeaseRequest } from "../lease-waiters.js";

interface Waiter {
  names: readonly string[] | undefined;
  req: LeaseRequest;
  done: boolean;
  resolve: (tasks: Task[]) => void;
}

/** What the waiters need of their scheduler. */
export interface SharedWaitersDeps {
  clock: Clock;
  /** Leases in the store for one poll; [] if nothing is ready for it. */
  tryLease(req: LeaseRequest, names: readonly string[] | undefined): Promise<Task[]>;
  /** Gives back tasks leased for a poll that ended meanwhile. */
  handBack(tasks: Task[]): Promise<void>;
  /** Called when a lease attempt fails (the store is away); the poll keeps waiting. */
  onError(err: unknown): void;
}

/** The waiting long-polls of one replica, by category; see the module comment. */
export class SharedWaiters {
  private readonly byCategory = new Map<string, Waiter[]>();
  private readonly rounds = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();

  constructor(private readonly deps: SharedWaitersDeps) {}

  /** Categories with polls waiting. */
  categories(): string[] {
    return [...this.byCategory.keys()];
  }

  /** Waits until a wake leases tasks for this poll, or resolves empty after `req.waitMs` or on abort. */
  wait(req: LeaseRequest, names: readonly string[] | undefined, signal: AbortSignal | undefined): Promise<Task[]> {
    if (signal?.aborted) return Promise.resolve([]);
    return new Promise<Task[]>((resolve) => {
      const list = this.byCategory.get(req.category) ?? [];
      this.byCategory.set(req.category, list);
      const waiter: Waiter = {
        names,
        req,
        done: false,
        resolve: (tasks) => {
          if (waiter.done) return;
          waiter.done = true;
          this.deps.clock.clearTimer(timer);
          signal?.removeEventListener("abort", giveUp);
          this.remove(waiter);
          resolve(tasks);
        },
      };
      const giveUp = () => waiter.resolve([]);
      const timer = this.deps.clock.setTimer(giveUp, req.waitMs);
      signal?.addEventListener("abort", giveUp, { once: true });
      list.push(waiter);
      this.wake(req.category);
    });
  }

  /** The category may have ready tasks: let its polls try. */
  wake(category: string): void {
    if (!this.byCategory.has(category)) return;
    if (this.rounds.has(category)) {
      this.again.add(category);
      return;
    }
    const round = this.run(category).finally(() => {
      this.rounds.delete(category);
      if (this.again.delete(category)) this.wake(category);
    });
    this.rounds.set(category, round);
  }

  /** Wakes every category with polls (announcements may have been missed). */
  wakeAll(): void {
    for (const category of this.byCategory.keys()) this.wake(category);
  }

  /** Answers every poll empty (server stopping). */
  cancelAll(): void {
    for (const list of [...this.byCategory.values()]) for (const w of [...list]) w.resolve([]);
  }

  private async run(category: string): Promise<void> {
    for (const waiter of [...(this.byCategory.get(category) ?? [])]) {
      if (waiter.done) continue;
      let tasks: Task[];
      try {
        tasks = await this.deps.tryLease(waiter.req, waiter.names);
      } catch (err) {
        this.deps.onError(err);
        return;
      }
      if (tasks.length === 0) {
        if (waiter.names === undefined) return;
        continue;
      }
      if (waiter.done) await this.deps.handBack(tasks).catch((err: unknown) => this.deps.onError(err));
      else waiter.resolve(tasks);
    }
  }

  private remove(waiter: Waiter): void {
    const list = this.byCategory.get(waiter.req.category);
    if (list === undefined) return;
    const i = list.indexOf(waiter);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byCategory.delete(waiter.req.category);
  }
}
