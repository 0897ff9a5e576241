/** TaskService routes: producers, admins and dashboards. Converts at the edge, delegates to the scheduler. */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  CancelTaskResponseSchema,
  EnqueueTaskResponseSchema,
  EnqueueTasksResponseSchema,
  GetStatsResponseSchema,
  GetTaskResponseSchema,
  ListTasksResponseSchema,
  PurgeTasksResponseSchema,
  RetryTaskResponseSchema,
  TaskService,
  WatchTaskResponseSchema,
  WatchTasksResponseSchema,
} from "@gobq/sdk/gen/task_service_pb.js";
import { InvalidArgumentError } from "../task/errors.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import type { Clock } from "../scheduler/clock.js";
import { enqueueFromProto, eventToProto, msFromDuration, statusFromProto, taskToProto } from "./convert.js";
import type { ErrorLog } from "./errors.js";
import { categoryHandlers } from "./category-service.js";
import { guardStream, guardUnary } from "./guard.js";
import { taskResponse, tasksResponse } from "./task-wire.js";
import { readEnqueuesDirectly } from "./enqueue-wire.js";
import type { EnqueueInput } from "../task/validate.js";

/** What the TaskService routes need. */
export interface TaskServiceDeps {
  scheduler: TaskScheduler;
  clock: Clock;
  log: ErrorLog;
}

/** Registers TaskService on a router. */
export function taskServiceRoutes(router: ConnectRouter, deps: TaskServiceDeps): void {
  const { scheduler, clock, log } = deps;
  const now = () => clock.now();
  // Each enqueue route reads its input one of two ways (enqueue-wire.ts): what follows is the same.
  const enqueue = {
    one: guardUnary(log, "EnqueueTask", async (read: () => EnqueueInput, ctx) => {
      const { task, deduplicated } = await scheduler.enqueue(read());
      return taskResponse(ctx, EnqueueTaskResponseSchema, task, now(), { deduplicated });
    }),
    many: guardUnary(log, "EnqueueTasks", async (read: () => EnqueueInput[], ctx) => {
      const results = await scheduler.enqueueMany(read());
      return tasksResponse(ctx, EnqueueTasksResponseSchema, results.map((r) => r.task), now());
    }),
  };
  router.service(TaskService, {
    enqueueTask: (req, ctx) => enqueue.one(() => enqueueFromProto(req), ctx),
    enqueueTasks: (req, ctx) => enqueue.many(() => req.tasks.map((t, i) => enqueueFromProto(t, `tasks[${i}].`)), ctx),
    getTask: guardUnary(log, "GetTask", async (req, ctx) => {
      return taskResponse(ctx, GetTaskResponseSchema, await scheduler.get(req.id), now());
    }),
    listTasks: guardUnary(log, "ListTasks", async (req) => {
      const page = await scheduler.list({
        category: req.category,
        status: statusFromProto(req.status, "status"),
        name: req.name,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      const at = now();
      return create(ListTasksResponseSchema, {
        tasks: page.tasks.map((t) => taskToProto(t, at)),
        nextPageToken: page.nextPageToken,
      });
    }),
    cancelTask: guardUnary(log, "CancelTask", async (req) => {
      const { task, cancelled } = await scheduler.cancel(req.id);
      return create(CancelTaskResponseSchema, { task: taskToProto(task, now()), cancelled });
    }),
    retryTask: guardUnary(log, "RetryTask", async (req) => {
      const { task, retried } = await scheduler.retry(req.id);
      return create(RetryTaskResponseSchema, { task: taskToProto(task, now()), retried });
    }),
    getStats: guardUnary(log, "GetStats", async () => {
      const s = await scheduler.stats();
      const load = scheduler.load();
      return create(GetStatsResponseSchema, {
        openWatchers: BigInt(load.watchers),
        waitingPollers: BigInt(load.pollers),
        bufferedWatchEvents: BigInt(load.bufferedWatchEvents),
        total: BigInt(s.total),
        byStatus: bigints(s.byStatus),
        byCategory: bigints(s.byCategory),
        running: BigInt(s.running),
        queued: BigInt(s.queued),
        categories: s.categories.map((c) => ({
          category: c.category,
          queuedByPriority: bigints(c.queuedByPriority),
          running: BigInt(c.running),
          scheduled: BigInt(c.scheduled),
          oldestQueuedAge: durationFromMs(c.oldestQueuedAgeMs),
          workersSeen: BigInt(c.workersSeen),
          paused: c.paused,
          maxRunning: c.maxRunning,
          maxStartsPerSecond: c.maxStartsPerSecond,
        })),
      });
    }),
    watchTask: guardStream(log, "WatchTask", async function* (req, ctx) {
      for await (const e of scheduler.watch(req.id, Number(req.afterSeq), ctx.signal)) {
        yield create(WatchTaskResponseSchema, { event: eventToProto(e, now()) });
      }
    }),
    watchTasks: guardStream(log, "WatchTasks", async function* (req, ctx) {
      const sub = scheduler.watchAll(req.category || undefined, ctx.signal);
      try {
        for await (const e of sub) yield create(WatchTasksResponseSchema, { event: eventToProto(e, now()) });
      } finally {
        sub.close();
      }
    }),
    purgeTasks: guardUnary(log, "PurgeTasks", async (req) => {
      const olderThan = msFromDuration(req.olderThan, "older_than");
      if (olderThan === undefined) throw new InvalidArgumentError("older_than", "is required");
      return create(PurgeTasksResponseSchema, { deleted: BigInt(await scheduler.purge(olderThan)) });
    }),
    ...categoryHandlers(deps),
  });
  readEnqueuesDirectly(router, enqueue);
}

function bigints(record: Record<string, number | undefined>): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = BigInt(v);
  return out;
}
