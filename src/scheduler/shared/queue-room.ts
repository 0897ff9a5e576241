/**
 * Queue limits when replicas share the store. Counting the store on every enqueue would
 * cost a scan per call, so counts are read at most every `refreshMs` and this replica's
 * own enqueues are added meanwhile. Limits therefore hold exactly on one replica and
 * within one refresh's worth of other replicas' enqueues across several.
 */
import type { Task } from "../../task/task.js";
import type { Store } from "../../store/store.js";
import type { Clock } from "../clock.js";
import { Counts } from "../counts.js";
import { type OverloadLimits, checkQueueRoom } from "../overload.js";

/** See the module comment. */
export class QueueRoom {
  private counts = new Counts();
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: OverloadLimits,
    private readonly refreshMs: number,
  ) {}

  /** Refuses (ResourceExhaustedError) tasks that would pass a limit; otherwise counts them as queued. */
  async claim(tasks: readonly Task[]): Promise<void> {
    if (this.clock.now() - this.readAt > this.refreshMs) await this.refresh();
    const adding = new Map<string, number>();
    for (const t of tasks) adding.set(t.category, (adding.get(t.category) ?? 0) + 1);
    const queued = (c: string) => this.counts.get(c, "pending") + this.counts.get(c, "retry");
    checkQueueRoom(this.limits, { total: () => this.counts.total("pending") + this.counts.total("retry"), inCategory: queued }, adding);
    for (const [category, n] of adding) this.counts.add(category, "pending", n);
  }

  private refresh(): Promise<void> {
    this.reading ??= this.store
      .taskCountByCategoryAndStatus()
      .then((rows) => {
        const counts = new Counts();
        counts.load(rows);
        this.counts = counts;
        this.readAt = this.clock.now();
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
