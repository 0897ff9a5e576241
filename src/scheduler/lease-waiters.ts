/**
 * Long-polls waiting for tasks in one category, served oldest first. A poll is answered
 * as soon as a task it may take becomes ready, or empty when its wait runs out, its
 * client goes away, or the server stops. A task may also be handed over as it is enqueued
 * (`handOver`): the poll is then answered with leases its enqueue's commit makes durable.
 */
import type { Task } from "../task/task.js";
import type { Clock } from "./clock.js";
import type { LeasedTask } from "./inputs.js";

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

/**
 * A poll's answer: ready tasks it took, to lease in a commit of its own, or leases made
 * with a new task's enqueue, resolved once that commit holds them.
 */
export type PollAnswer = { tasks: Task[] } | { leases: Promise<LeasedTask[]> };

interface Waiter {
  names: ReadonlySet<string> | undefined;
  req: LeaseRequest;
  resolve: (answer: PollAnswer) => void;
}

const NOTHING: PollAnswer = { tasks: [] };

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
  }): Promise<PollAnswer> {
    const { names, req, clock, signal } = options;
    if (signal?.aborted) return Promise.resolve(NOTHING);
    return new Promise<PollAnswer>((resolve) => {
      const waiter: Waiter = {
        names,
        req,
        resolve: (answer) => {
          clock.clearTimer(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(answer);
        },
      };
      const giveUp = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          waiter.resolve(NOTHING);
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
      w.resolve({ tasks });
    }
  }

  /**
   * Hands new tasks (in the order they are to be leased) to waiting polls, oldest first:
   * each takes, of those left whose name it accepts, as many as `room` allows it. `lease`
   * starts their attempts and returns the leases, committed.
   */
  handOver(
    tasks: readonly Task[],
    room: (req: LeaseRequest) => number,
    lease: (req: LeaseRequest, taken: Task[]) => Promise<LeasedTask[]>,
  ): void {
    let left = tasks;
    for (let i = 0; i < this.waiters.length && left.length > 0; ) {
      const w = this.waiters[i]!;
      const max = room(w.req);
      const taken: Task[] = [];
      const rest: Task[] = [];
      for (const t of left) (taken.length < max && (w.names === undefined || w.names.has(t.name)) ? taken : rest).push(t);
      if (taken.length === 0) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      w.resolve({ leases: lease(w.req, taken) });
      left = rest;
    }
  }

  /** Answers every waiting poll empty (server stopping). */
  cancelAll(): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve(NOTHING);
  }
}
