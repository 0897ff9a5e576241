/**
 * Auto-batching of enqueues: calls made in the same tick (or within `windowMs`) travel as
 * one EnqueueTasks RPC, yet each caller gets its own task or its own error.
 *
 * Why: a server handles a few thousand unary calls per second per core, but a batch of a
 * thousand tasks costs about as much as one call. EnqueueTasks is all-or-nothing, so if the
 * server rejects a batch as invalid, its members are retried one by one: only the bad one
 * fails. Other errors (server away) fail every member, as each would have failed alone.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EnqueueCalls } from "./hot-calls.js";
import type { Task } from "./types.js";

interface Pending {
  /** An encoded EnqueueTaskRequest. */
  req: Uint8Array;
  resolve: (task: Task) => void;
  reject: (err: unknown) => void;
}

/** Options of `EnqueueBatcher`. */
export interface EnqueueBatcherOptions {
  /** 0: the same tick (setImmediate); otherwise wait this long for more. Default 0. */
  windowMs: number;
  /** Largest batch sent; a fuller queue is sent at once. Default 1000. */
  maxBatch: number;
}

/** Collects enqueues and sends them in batches; see the module comment. */
export class EnqueueBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly send: EnqueueCalls,
    private readonly options: EnqueueBatcherOptions,
  ) {}

  /** Queues one encoded request; resolves with its task. */
  add(req: Uint8Array): Promise<Task> {
    return new Promise<Task>((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.options.windowMs > 0) setTimeout(() => this.flush(), this.options.windowMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued now. */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      void this.sendBatch(batch);
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.sendOne(batch[0]!);
    try {
      const tasks = await this.send.many(batch.map((p) => p.req));
      batch.forEach((p, i) => p.resolve(tasks[i]!));
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.InvalidArgument) {
        await Promise.all(batch.map((p) => this.sendOne(p)));
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }

  private async sendOne(p: Pending): Promise<void> {
    try {
      p.resolve(await this.send.one(p.req));
    } catch (err) {
      p.reject(err);
    }
  }
}
