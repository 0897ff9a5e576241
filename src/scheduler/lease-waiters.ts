/**
 * Long-polls waiting for tasks in one category, served oldest first. A poll is answered
 * as soon as a task it may take becomes ready, or empty when its wait runs out, its
 * client goes away, or the server stops.
 */
import type { Task } from "../task/task.js";
import type { Clock } from "./clock.js";

/** A validated LeaseTasks request. */
export interface LeaseRequest {
  category: string;
  workerId: string;
  /** Empty or undefined: any name. */
  taskNames?: readonly string[] | undefined;
  maxTasks: number;
  leaseMs: number;
  waitMs: number;
  /**
   * Set when the worker may have missed the answer to its previous lease: the tasks of
   * this category leased to `workerId` and not among these ids (the ones it holds) are
   * handed back to it first, under new tokens, without counting another attempt.
   */
  reclaim?: { heldTaskIds: readonly string[] } | undefined;
}

interface Waiter {
  names: ReadonlySet<string> | undefined;
  req: LeaseRequest;
  resolve: (tasks: Task[]) => void;
}

/** Takes up to req.maxTasks ready tasks of the given names (undefined: any). */
export type TakeReady = (names: ReadonlySet<string> | undefined, req: LeaseRequest) => Task[];

/** The waiting long-polls of one category. */
export class LeaseWaiters {
  private waiters: Waiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** Waits until `serve` hands this poll tasks, or resolves empty after `req.waitMs`. */
  wait(options: {
    names: ReadonlySet<string> | undefined;
    req: LeaseRequest;
    clock: Clock;
    signal: AbortSignal | undefined;
  }): Promise<Task[]> {
    const { names, req, clock, signal } = options;
    if (signal?.aborted) return Promise.resolve([]);
    return new Promise<Task[]>((resolve) => {
      const waiter: Waiter = {
        names,
        req,
        resolve: (tasks) => {
          clock.clearTimer(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(tasks);
        },
      };
      const giveUp = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          waiter.resolve([]);
        }
      };
      const onAbort = () => giveUp();
      const timer = clock.setTimer(giveUp, req.waitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Offers ready tasks to waiting polls, oldest first, until none is left that a poll may take. */
  serve(take: TakeReady): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      const tasks = take(w.names, w.req);
      if (tasks.length === 0) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      w.resolve(tasks);
    }
  }

  /** Answers every waiting poll empty (server stopping). */
  cancelAll(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve([]);
  }
}
