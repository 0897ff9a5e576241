/**
 * TaskClient: what producers, admins and dashboards use.
 *
 * ```ts
 * const client = new TaskClient({ baseUrl: "http://127.0.0.1:50051" });
 * const task = await client.enqueue("send_email", { category: "notifications", kwargs: { to: "a@b.c" } });
 * const done = await client.waitFor(task.id, { timeoutMs: 30_000 });
 * ```
 *
 * Errors are `ConnectError`s with the server's code; `isRetryable(err)` tells whether to
 * try again, `reasonOf(err)` gives the stable reason ("TASK_NOT_FOUND", …).
 */
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { TaskService } from "./gen/gobq/v1/task_service_pb.js";
import { encodeEnqueue, settingsFromProto, statsFromProto, statusToProto, taskFromProto } from "./convert.js";
import { EnqueueBatcher } from "./enqueue-batcher.js";
import { type EnqueueCalls, enqueueCalls } from "./hot-calls.js";
import { isRetryable } from "./errors.js";
import { type ConnectionOptions, speaksBinary, transportFor } from "./transport.js";
import {
  FINAL_STATUSES,
  type AnyTasks,
  type CategoryLimits,
  type CategorySettings,
  type EnqueueOptions,
  type ListFilter,
  type QueueStats,
  type Task,
  type TaskEvent,
} from "./types.js";

/** Options of `TaskClient`. */
export interface TaskClientOptions extends ConnectionOptions {
  /**
   * How long concurrent `enqueue` calls are collected into one RPC. Default 0: calls made in
   * the same tick travel together, adding no delay.
   */
  batchWindowMs?: number;
  /** Most tasks per batch RPC. Default 1000. */
  maxBatch?: number;
}

/** One item of `enqueueMany`. */
export type EnqueueItem<M extends AnyTasks> = { [N in keyof M & string]: { name: N } & EnqueueOptions<M[N]> }[keyof M & string];

/** A client for TaskService; `M` maps task names to their args, kwargs and result types. */
export class TaskClient<M extends AnyTasks = AnyTasks> {
  private readonly rpc: Client<typeof TaskService>;
  private readonly enqueues: EnqueueCalls;
  private readonly batcher: EnqueueBatcher;

  constructor(options: TaskClientOptions = {}) {
    const transport = transportFor(options);
    this.rpc = createClient(TaskService, transport);
    this.enqueues = enqueueCalls(transport, speaksBinary(options));
    this.batcher = new EnqueueBatcher(this.enqueues, { windowMs: options.batchWindowMs ?? 0, maxBatch: options.maxBatch ?? 1000 });
  }

  /** Enqueues one task; concurrent calls are batched into one RPC (see `batchWindowMs`). */
  async enqueue<N extends keyof M & string>(name: N, options: EnqueueOptions<M[N]> = {}): Promise<Task<M[N]>> {
    return (await this.batcher.add(encodeEnqueue(name, options))) as Task<M[N]>;
  }

  /** Enqueues many tasks in one RPC per `maxBatch`: each RPC stores all of its tasks or none. */
  async enqueueMany(items: ReadonlyArray<EnqueueItem<M>>): Promise<Task[]> {
    const reqs = items.map((item) => encodeEnqueue(item.name, item));
    const out: Task[] = [];
    for (let i = 0; i < reqs.length; i += 10_000) out.push(...(await this.enqueues.many(reqs.slice(i, i + 10_000))));
    return out;
  }

  /** The task as it is now; NOT_FOUND if there is none. */
  async get(id: string): Promise<Task> {
    return taskFromProto((await this.rpc.getTask({ id })).task!);
  }

  /** Every task matching the filter, newest first, fetched a page at a time. */
  async *list(filter: ListFilter = {}): AsyncIterable<Task> {
    let pageToken = "";
    do {
      const page = await this.rpc.listTasks({
        category: filter.category ?? "",
        name: filter.name ?? "",
        status: filter.status === undefined ? undefined : statusToProto(filter.status),
        pageSize: filter.pageSize ?? 100,
        pageToken,
      });
      for (const t of page.tasks) yield taskFromProto(t);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }

  /** Cancels a queued task, or asks a running task's worker to stop. `cancelled: false` if it had finished. */
  async cancel(id: string): Promise<{ task: Task; cancelled: boolean }> {
    const r = await this.rpc.cancelTask({ id });
    return { task: taskFromProto(r.task!), cancelled: r.cancelled };
  }

  /** Runs a FAILED task again. `retried: false` if it was not FAILED. */
  async retry(id: string): Promise<{ task: Task; retried: boolean }> {
    const r = await this.rpc.retryTask({ id });
    return { task: taskFromProto(r.task!), retried: r.retried };
  }

  /** Exact counts over all tasks. */
  async stats(): Promise<QueueStats> {
    return statsFromProto(await this.rpc.getStats({}));
  }

  /** Deletes finished tasks that finished more than `olderThanMs` ago; returns how many. */
  async purge(options: { olderThanMs: number }): Promise<number> {
    return Number((await this.rpc.purgeTasks({ olderThan: durationFromMs(options.olderThanMs) })).deleted);
  }

  /**
   * Stops leasing the category (admin): its tasks are still accepted, none is leased until
   * `resume`; running tasks are not affected. Lasts across server restarts.
   */
  async pause(category: string): Promise<CategorySettings> {
    return settingsFromProto(category, (await this.rpc.pauseCategory({ category })).settings);
  }

  /** Leases the category again (admin); waiting workers get its ready tasks at once. */
  async resume(category: string): Promise<CategorySettings> {
    return settingsFromProto(category, (await this.rpc.resumeCategory({ category })).settings);
  }

  /**
   * Caps the category at lease time (admin), across all workers: `maxRunning` tasks started
   * at once, `maxStartsPerSecond` leases per second. A limit left out stays as it is; 0
   * removes it. Workers held back by a limit wait; they are not refused.
   */
  async setLimits(category: string, limits: CategoryLimits): Promise<CategorySettings> {
    const { maxRunning, maxStartsPerSecond } = limits;
    return settingsFromProto(category, (await this.rpc.setCategoryLimits({ category, maxRunning, maxStartsPerSecond })).settings);
  }

  /**
   * The task now, then each change, ending after its final status. A stream dropped after
   * it delivered something (server restart, proxy cut) is re-opened from the last change
   * seen, so nothing of the final state is missed; after `reconnectForMs` (default 60 s) of
   * failed re-opening it gives up with the last error. A first open that fails throws at once.
   */
  async *watch(id: string, options: { signal?: AbortSignal; reconnectForMs?: number } = {}): AsyncIterable<TaskEvent> {
    // Leaving early (a `break` in the caller's loop) must end the server's stream too: the
    // stream's own iterator does not cancel it, and an open watch holds one of the server's
    // limited watcher slots until the connection closes.
    const leaving = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, leaving.signal]) : leaving.signal;
    let afterSeq = 0n;
    let backoffMs = 100;
    let failingSince: number | undefined;
    try {
      for (;;) {
        try {
          for await (const r of this.rpc.watchTask({ id, afterSeq }, { signal })) {
            const event = { seq: Number(r.event!.seq), task: taskFromProto(r.event!.task!) };
            afterSeq = r.event!.seq;
            backoffMs = 100;
            failingSince = undefined;
            yield event;
            if (FINAL_STATUSES.has(event.task.status)) return;
          }
        } catch (err) {
          if (options.signal?.aborted || !isRetryable(err) || afterSeq === 0n) throw err;
          failingSince ??= Date.now();
          if (Date.now() - failingSince > (options.reconnectForMs ?? 60_000)) throw err;
        }
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    } finally {
      leaving.abort();
    }
  }

  /** Resolves with the task once it reaches a final status; DEADLINE_EXCEEDED after `timeoutMs`. */
  async waitFor(id: string, options: { timeoutMs?: number } = {}): Promise<Task> {
    const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    try {
      let last: Task | undefined;
      for await (const e of this.watch(id, { signal })) last = e.task;
      return last!;
    } catch (err) {
      if (signal?.aborted) throw new ConnectError(`task ${id} did not finish within ${options.timeoutMs} ms`, Code.DeadlineExceeded);
      throw err;
    }
  }
}
