/**
 * Edits of single tasks (acks, heartbeats, cancels) made in the same tick travel to the
 * store as one `taskModifyMany` transaction: a worker's batch of a hundred acks costs one
 * transaction, not a hundred. Each caller still gets its own task or its own error.
 */
import type { Task } from "../../task/task.js";
import type { SharedStore, TaskEdit } from "../../store/shared-store.js";

interface Queued {
  edit: TaskEdit;
  resolve: (outcome: { task: Task; value: unknown } | undefined) => void;
  reject: (err: unknown) => void;
}

/** Most edits per transaction. */
const MAX_BATCH = 500;

/** See the module comment. */
export class EditBatcher {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(
    private readonly store: SharedStore,
    private readonly now: () => number,
  ) {}

  /** Edits one task in the next transaction; undefined if no task has the id. */
  add<T>(id: string, change: (task: Task) => T): Promise<{ task: Task; value: T } | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ edit: { id, change }, resolve: resolve as Queued["resolve"], reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) void this.send(this.queue.splice(0, MAX_BATCH));
  }

  private async send(batch: Queued[]): Promise<void> {
    try {
      const outcomes = await this.store.taskModifyMany({ now: this.now(), edits: batch.map((q) => q.edit) });
      batch.forEach((q, i) => {
        const o = outcomes[i];
        if (o !== undefined && "error" in o) q.reject(o.error);
        else q.resolve(o);
      });
    } catch (err) {
      for (const q of batch) q.reject(err);
    }
  }
}
