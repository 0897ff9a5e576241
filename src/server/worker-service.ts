/** WorkerService routes: remote workers lease, heartbeat, complete and fail tasks. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  AckResultSchema,
  CompleteTaskResponseSchema,
  CompleteTasksResponseSchema,
  FailTaskResponseSchema,
  FailTasksResponseSchema,
  HeartbeatTaskResponseSchema,
  WorkerService,
  type AckResult,
} from "@gobq/sdk/gen/worker_service_pb.js";
import { GobqError, InvalidArgumentError } from "../task/errors.js";
import { BOUNDS } from "../task/validate.js";
import type { Task } from "../task/task.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import type { Clock } from "../scheduler/clock.js";
import { jsonFromValue, msFromDuration, STATUS_TO_PB } from "./convert.js";
import { type ErrorLog, toConnectError } from "./errors.js";
import { guardUnary } from "./guard.js";
import { leaseResponse, taskResponse } from "./task-wire.js";

/** What the WorkerService routes need. */
export interface WorkerServiceDeps {
  scheduler: TaskScheduler;
  clock: Clock;
  log: ErrorLog;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_WAIT_MS = 30_000;

/** Registers WorkerService on a router. */
export function workerServiceRoutes(router: ConnectRouter, deps: WorkerServiceDeps): void {
  const { scheduler, clock, log } = deps;
  const now = () => clock.now();

  /** Runs each item on its own (they share one group commit) and reports each outcome. */
  async function each<I extends { taskId: string }>(items: I[], fn: (item: I) => Promise<Task>): Promise<AckResult[]> {
    if (items.length > BOUNDS.maxAckBatch) {
      throw new InvalidArgumentError("tasks", `at most ${BOUNDS.maxAckBatch} per call, got ${items.length}`);
    }
    const settled = await Promise.allSettled(items.map(fn));
    return settled.map((s, i) => {
      const taskId = items[i]!.taskId;
      if (s.status === "fulfilled") return create(AckResultSchema, { taskId, status: STATUS_TO_PB[s.value.status] });
      if (!(s.reason instanceof GobqError)) throw toConnectError(s.reason, log, "ack batch");
      return create(AckResultSchema, { taskId, errorReason: s.reason.reason, errorMessage: s.reason.message });
    });
  }

  router.service(WorkerService, {
    leaseTasks: guardUnary(log, "LeaseTasks", async (req, ctx) => {
      const leased = await scheduler.lease(
        {
          category: req.category,
          workerId: req.workerId,
          taskNames: req.taskNames,
          maxTasks: req.maxTasks === 0 ? 1 : req.maxTasks,
          leaseMs: msFromDuration(req.leaseDuration, "lease_duration") ?? DEFAULT_LEASE_MS,
          waitMs: msFromDuration(req.wait, "wait") ?? DEFAULT_WAIT_MS,
          reclaim: reclaimFromProto(req.reclaim, req.heldTaskIds),
        },
        ctx.signal,
      );
      return leaseResponse(ctx, leased, now());
    }),
    heartbeatTask: guardUnary(log, "HeartbeatTask", async (req) => {
      const r = await scheduler.heartbeat({
        taskId: req.taskId,
        leaseToken: req.leaseToken,
        progress: req.progress,
        progressMessage: req.progressMessage,
        extendByMs: msFromDuration(req.extendBy, "extend_by"),
      });
      return create(HeartbeatTaskResponseSchema, {
        leaseExpiresAt: timestampFromMs(r.leaseExpiresAt),
        cancelRequested: r.cancelRequested,
      });
    }),
    completeTask: guardUnary(log, "CompleteTask", async (req, ctx) => {
      const task = await scheduler.complete({ taskId: req.taskId, leaseToken: req.leaseToken, result: jsonFromValue(req.result, "result") });
      return taskResponse(ctx, CompleteTaskResponseSchema, task, now());
    }),
    failTask: guardUnary(log, "FailTask", async (req, ctx) => {
      const task = await scheduler.fail({ taskId: req.taskId, leaseToken: req.leaseToken, error: req.error, retryable: req.retryable, requeue: req.requeue });
      return taskResponse(ctx, FailTaskResponseSchema, task, now());
    }),
    completeTasks: guardUnary(log, "CompleteTasks", async (req) => {
      const results = await each(req.tasks, async (r) =>
        scheduler.complete({ taskId: r.taskId, leaseToken: r.leaseToken, result: jsonFromValue(r.result, "result") }),
      );
      return create(CompleteTasksResponseSchema, { results });
    }),
    failTasks: guardUnary(log, "FailTasks", async (req) => {
      const results = await each(req.tasks, async (r) =>
        scheduler.fail({ taskId: r.taskId, leaseToken: r.leaseToken, error: r.error, retryable: r.retryable, requeue: r.requeue }),
      );
      return create(FailTasksResponseSchema, { results });
    }),
  });
}

/** A LeaseTasks request's reclaim fields; held ids without reclaim would be ignored silently, so they are refused. */
function reclaimFromProto(reclaim: boolean, heldTaskIds: string[]): { heldTaskIds: string[] } | undefined {
  if (reclaim) return { heldTaskIds };
  if (heldTaskIds.length > 0) throw new InvalidArgumentError("held_task_ids", "is read only with reclaim set");
  return undefined;
}
