/**
 * The ready tasks of one category: per task name, one FIFO per priority.
 *
 * Exact order: the next task for a worker is the head with the highest priority and, among
 * those, the lowest `readySeq` — over only the names that worker handles. Splitting by name
 * keeps that a look at a few heads instead of a scan past tasks the worker cannot run.
 * Removal (cancel) is lazy: a head that is no longer ready is dropped when met.
 */
import { priorityRank, TASK_PRIORITIES, type Task } from "../task/task.js";
import { Deque } from "./deque.js";

function isReady(task: Task): boolean {
  return task.status === "pending" && task.readySeq !== undefined;
}

/** The ready FIFOs of one category. */
export class ReadyQueue {
  private readonly byName = new Map<string, Deque<Task>[]>();
  /** Ready tasks per priority rank, kept exact as tasks come and go. */
  readonly countByRank = [0, 0, 0, 0];

  get size(): number {
    return this.countByRank[0]! + this.countByRank[1]! + this.countByRank[2]! + this.countByRank[3]!;
  }

  /** Appends a task that just became ready (its readySeq is the highest so far). */
  push(task: Task): void {
    let lanes = this.byName.get(task.name);
    if (lanes === undefined) {
      lanes = TASK_PRIORITIES.map(() => new Deque<Task>());
      this.byName.set(task.name, lanes);
    }
    const rank = priorityRank(task.priority);
    lanes[rank]!.push(task);
    this.countByRank[rank]! += 1;
  }

  /** Accounts for a ready task leaving without being taken (cancelled); its entry is dropped lazily. */
  forget(task: Task): void {
    this.countByRank[priorityRank(task.priority)]! -= 1;
  }

  /**
   * Removes and returns up to `max` tasks in lease order, only of the given names
   * (undefined: any name).
   */
  take(names: ReadonlySet<string> | undefined, max: number): Task[] {
    const out: Task[] = [];
    const lanesList = this.lanesFor(names);
    if (lanesList.length === 0) return out;
    for (let rank = 3; rank >= 0 && out.length < max; ) {
      if (this.countByRank[rank] === 0) {
        rank--;
        continue;
      }
      let best: Deque<Task> | undefined;
      let bestSeq = Infinity;
      for (const lanes of lanesList) {
        const lane = lanes[rank]!;
        let head = lane.peek();
        while (head !== undefined && !isReady(head)) {
          lane.shift();
          head = lane.peek();
        }
        if (head !== undefined && head.readySeq! < bestSeq) {
          best = lane;
          bestSeq = head.readySeq!;
        }
      }
      if (best === undefined) {
        rank--;
        continue;
      }
      out.push(best.shift()!);
      this.countByRank[rank]! -= 1;
    }
    return out;
  }

  /** When the longest-waiting ready task became ready, or undefined if none is ready. */
  oldestReadyAt(): number | undefined {
    let oldest: number | undefined;
    for (const lanes of this.byName.values()) {
      for (const lane of lanes) {
        let head = lane.peek();
        while (head !== undefined && !isReady(head)) {
          lane.shift();
          head = lane.peek();
        }
        if (head?.readyAt !== undefined && (oldest === undefined || head.readyAt < oldest)) oldest = head.readyAt;
      }
    }
    return oldest;
  }

  private lanesFor(names: ReadonlySet<string> | undefined): Deque<Task>[][] {
    if (names === undefined) return [...this.byName.values()];
    const out: Deque<Task>[][] = [];
    for (const name of names) {
      const lanes = this.byName.get(name);
      if (lanes !== undefined) out.push(lanes);
    }
    return out;
  }
}
