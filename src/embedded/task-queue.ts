/**
 * Embedded mode: the original queue's API in one process.
 *
 * ```ts
 * const queue = new TaskQueue({ enabled: true });
 * queue.register("send_email", { category: "notifications" }, async ({ args, kwargs }) => ({ sent: true }));
 * await queue.startWorkers("notifications", 3);
 * const id = await queue.addTask("send_email", { priority: "high", args: ["a@b.c"], kwargs: { subject: "Hi" } });
 * const info = await queue.getTaskInfo(id);
 * await queue.shutdown();
 * ```
 *
 * It runs the server's own routes and the SDK's TaskClient and Worker over Connect's
 * in-memory router transport: the same code path as over the network, without one.
 * Handlers receive the SDK Worker's context (`{ task, args, kwargs, signal, progress }`).
 *
 * Like the original, it is off unless enabled (option `enabled`, else the environment
 * variable WOPR_TASKS_ENABLED = "1", "true", "True" or "yes"). Disabled, it creates no
 * file: `addTask` throws, reads return null or nothing, stats are zeros. Enabled, its
 * storage is created on first use.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { TaskClient, Worker, type EnqueueOptions, type Task, type TaskStatus } from "@gobq/sdk";
import { Scheduler } from "../scheduler/scheduler.js";
import { createRoutes } from "../server/routes.js";
import { openStore, parseStoreLocation, type StoreLocation } from "../store/open.js";

/** A handler, as the SDK Worker runs it. */
export type TaskHandler = Parameters<Worker["register"]>[1];

/** Options of `TaskQueue`. */
export interface TaskQueueOptions {
  /** Default: WOPR_TASKS_ENABLED is "1", "true", "True" or "yes". */
  enabled?: boolean;
  /** `duckdb:PATH` or `memory:`. Default duckdb:./data/gobq.duckdb. */
  store?: string;
}

/** Options of `addTask`; the category defaults to the one the name was registered with. */
export type AddTaskOptions = EnqueueOptions;

/** The original's `get_task_stats()` shape. */
export interface TaskStatsSummary {
  total: number;
  by_status: Partial<Record<TaskStatus, number>>;
  by_category: Record<string, number>;
  running: number;
  queued: number;
}

const ENABLED_VALUES = new Set(["1", "true", "True", "yes"]);

/** The error `addTask` throws while the queue is disabled. */
export class TasksDisabledError extends Error {
  constructor() {
    super("the task queue is disabled: pass { enabled: true } or set WOPR_TASKS_ENABLED=1");
  }
}

interface Running {
  scheduler: Scheduler;
  client: TaskClient;
  transport: ReturnType<typeof createRouterTransport>;
}

/** See the module comment. */
export class TaskQueue {
  /** Whether the queue does anything. */
  readonly enabled: boolean;
  private readonly location: StoreLocation;
  private readonly handlers = new Map<string, { category: string; fn: TaskHandler }>();
  private readonly workers: Worker[] = [];
  private running: Promise<Running> | undefined;

  constructor(options: TaskQueueOptions = {}) {
    // The one read of the environment outside main.ts: this is the original's documented switch.
    this.enabled = options.enabled ?? ENABLED_VALUES.has(process.env["WOPR_TASKS_ENABLED"] ?? "0");
    this.location = parseStore(options.store ?? "duckdb:./data/gobq.duckdb");
  }

  /** Registers the handler of a task name, run by the workers of its category (default "default"). */
  register(name: string, options: { category?: string }, fn: TaskHandler): this {
    this.handlers.set(name, { category: options.category ?? "default", fn });
    return this;
  }

  /** Starts `count` concurrent workers for a category's registered names. */
  async startWorkers(category: string, count: number): Promise<void> {
    if (!this.enabled) return;
    const { transport } = await this.start();
    const worker = new Worker({ transport, category, concurrency: count });
    for (const [name, h] of this.handlers) if (h.category === category) worker.register(name, h.fn);
    await worker.start();
    this.workers.push(worker);
  }

  /** Queues a task; returns its id. */
  async addTask(name: string, options: AddTaskOptions = {}): Promise<string> {
    if (!this.enabled) throw new TasksDisabledError();
    const { client } = await this.start();
    const category = options.category ?? this.handlers.get(name)?.category;
    return (await client.enqueue(name, { ...options, category })).id;
  }

  /** The task, or null if there is none (or the queue is disabled). */
  async getTaskInfo(id: string): Promise<Task | null> {
    if (!this.enabled) return null;
    const { client } = await this.start();
    try {
      return await client.get(id);
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.NotFound) return null;
      throw err;
    }
  }

  /** Cancels a queued or running task; false if it had finished (or the queue is disabled). */
  async cancelTask(id: string): Promise<boolean> {
    if (!this.enabled) return false;
    return (await (await this.start()).client.cancel(id)).cancelled;
  }

  /** Runs a FAILED task again; false otherwise. */
  async retryTask(id: string): Promise<boolean> {
    if (!this.enabled) return false;
    return (await (await this.start()).client.retry(id)).retried;
  }

  /** Exact counts, in the original's shape. */
  async getTaskStats(): Promise<TaskStatsSummary> {
    if (!this.enabled) return { total: 0, by_status: {}, by_category: {}, running: 0, queued: 0 };
    const s = await (await this.start()).client.stats();
    return { total: s.total, by_status: s.byStatus, by_category: s.byCategory, running: s.running, queued: s.queued };
  }

  /** Stops the workers (letting running tasks finish), commits everything and closes the store. */
  async shutdown(options: { graceMs?: number } = {}): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.stop({ graceMs: options.graceMs ?? 10_000 })));
    const running = this.running;
    this.running = undefined;
    if (running) await (await running).scheduler.stop();
  }

  /** Creates the storage and the in-process server on first use. */
  private start(): Promise<Running> {
    this.running ??= (async () => {
      const scheduler = await Scheduler.open({ store: await openStore(this.location) });
      const transport = createRouterTransport(createRoutes({ scheduler }));
      return { scheduler, transport, client: new TaskClient({ transport }) };
    })();
    return this.running;
  }
}

function parseStore(store: string): StoreLocation {
  const location = parseStoreLocation(store);
  if (location === undefined) throw new Error(`store: must be duckdb:PATH or memory:, got ${JSON.stringify(store)}`);
  return location;
}
