/**
 * The ready tasks of one category: per task name, one FIFO per priority.
 *
 * Exact order: the next task for a worker is the head with the highest priority and, among
 * those, the lowest `readySeq` — over only the names that worker handles. Splitting by name
 * keeps that a look at a few heads instead of a scan past tasks the worker cannot run.
 *
 * A task waiting here is held only as its compact record (queued-record.ts, packed-fifo.ts),
 * not as a Task object: `push` takes the task in, `take` gives back fresh Task objects, and
 * `remove` (cancel) takes one out by its readySeq.
 */
import { priorityRank, TASK_PRIORITIES, type Task } from "../task/task.js";
import { PackedFifo } from "./packed-fifo.js";
import { packQueued, readyAtOf, unpackQueued } from "./queued-record.js";

/** The ready FIFOs of one category. */
export class ReadyQueue {
  private readonly byName = new Map<string, PackedFifo[]>();
  /** Ready tasks per priority rank, kept exact as tasks come and go. */
  readonly countByRank = [0, 0, 0, 0];

  constructor(private readonly category: string) {}

  get size(): number {
    return this.countByRank[0]! + this.countByRank[1]! + this.countByRank[2]! + this.countByRank[3]!;
  }

  /** Appends a ready PENDING task of this category (its readySeq is the highest so far). */
  push(task: Task): void {
    let lanes = this.byName.get(task.name);
    if (lanes === undefined) {
      lanes = TASK_PRIORITIES.map(() => new PackedFifo());
      this.byName.set(task.name, lanes);
    }
    const rank = priorityRank(task.priority);
    lanes[rank]!.push(task.readySeq!, task.id, packQueued(task));
    this.countByRank[rank]! += 1;
  }

  /** Takes out a task that waits here (cancelled); false if it is no longer here (leased meanwhile). */
  remove(task: Task): boolean {
    const rank = priorityRank(task.priority);
    const lane = this.byName.get(task.name)?.[rank];
    if (lane === undefined || task.readySeq === undefined || !lane.remove(task.readySeq)) return false;
    this.countByRank[rank]! -= 1;
    this.dropIfEmpty(task.name);
    return true;
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
      let best: [string, PackedFifo] | undefined;
      let bestSeq = Infinity;
      for (const [name, lanes] of lanesList) {
        const seq = lanes[rank]!.peekSeq();
        if (seq !== undefined && seq < bestSeq) {
          best = [name, lanes[rank]!];
          bestSeq = seq;
        }
      }
      if (best === undefined) {
        rank--;
        continue;
      }
      const [name, lane] = best;
      const place = { category: this.category, name, priority: TASK_PRIORITIES[rank]!, readySeq: bestSeq };
      const { id, text } = lane.shift()!;
      out.push(unpackQueued(id, text, place));
      this.countByRank[rank]! -= 1;
      if (lane.length === 0) this.dropIfEmpty(name);
    }
    return out;
  }

  /** When the longest-waiting ready task became ready, or undefined if none is ready. */
  oldestReadyAt(): number | undefined {
    let oldest: number | undefined;
    for (const lanes of this.byName.values()) {
      for (const lane of lanes) {
        const head = lane.peek();
        const at = head === undefined ? undefined : readyAtOf(head.text);
        if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      }
    }
    return oldest;
  }

  /** A name none of whose lanes holds a task is forgotten, so names used once do not add up. */
  private dropIfEmpty(name: string): void {
    const lanes = this.byName.get(name);
    if (lanes !== undefined && lanes.every((lane) => lane.length === 0)) this.byName.delete(name);
  }

  private lanesFor(names: ReadonlySet<string> | undefined): Array<[string, PackedFifo[]]> {
    if (names === undefined) return [...this.byName];
    const out: Array<[string, PackedFifo[]]> = [];
    for (const name of names) {
      const lanes = this.byName.get(name);
      if (lanes !== undefined) out.push([name, lanes]);
    }
    return out;
  }
}
