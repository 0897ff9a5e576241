/** WorkerService routes: remote workers lease, heartbeat, complete and fail tasks. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  CompleteTaskResponseSchema,
  CompleteTasksResponseSchema,
  FailTaskResponseSchema,
  FailTasksResponseSchema,
  HeartbeatTaskResponseSchema,
  WorkerService,
} from "@gobq/sdk/gen/worker_service_pb.js";
import { TaskStatus as PbStatus } from "@gobq/sdk/gen/task_pb.js";
import { GobqError, InvalidArgumentError } from "../task/errors.js";
import { BOUNDS } from "../task/validate.js";
import type { Task } from "../task/task.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import type { Clock } from "../scheduler/clock.js";
import { msFromDuration, STATUS_TO_PB } from "./convert.js";
import { type AckOutcome, acksResponse, type CompleteAck, completeAckFromProto, readCompletesDirectly } from "./ack-wire.js";
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
  async function each<I extends { taskId: string }>(items: I[], fn: (item: I) => Promise<Task>): Promise<AckOutcome[]> {
    if (items.length > BOUNDS.maxAckBatch) {
      throw new InvalidArgumentError("tasks", `at most ${BOUNDS.maxAckBatch} per call, got ${items.length}`);
    }
    const settled = await Promise.allSettled(items.map(fn));
    return settled.map((s, i) => {
      const taskId = items[i]!.taskId;
      if (s.status === "fulfilled") return { taskId, status: STATUS_TO_PB[s.value.status], errorReason: "", errorMessage: "" };
      if (!(s.reason instanceof GobqError)) throw toConnectError(s.reason, log, "ack batch");
      return { taskId, status: PbStatus.UNSPECIFIED, errorReason: s.reason.reason, errorMessage: s.reason.message };
    });
  }

  // Each complete route reads its acks one of two ways (ack-wire.ts): what follows is the same.
  const complete = {
    one: guardUnary(log, "CompleteTask", async (read: () => CompleteAck, ctx) => {
      const ack = read();
      const task = await scheduler.complete({ taskId: ack.taskId, leaseToken: ack.leaseToken, result: ack.result() });
      return taskResponse(ctx, CompleteTaskResponseSchema, task, now());
    }),
    many: guardUnary(log, "CompleteTasks", async (read: () => CompleteAck[], ctx) => {
      const results = await each(read(), async (a) => scheduler.complete({ taskId: a.taskId, leaseToken: a.leaseToken, result: a.result() }));
      return acksResponse(ctx, CompleteTasksResponseSchema, results);
    }),
  };

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
    completeTask: (req, ctx) => complete.one(() => completeAckFromProto(req), ctx),
    failTask: guardUnary(log, "FailTask", async (req, ctx) => {
      const task = await scheduler.fail({ taskId: req.taskId, leaseToken: req.leaseToken, error: req.error, retryable: req.retryable, requeue: req.requeue });
      return taskResponse(ctx, FailTaskResponseSchema, task, now());
    }),
    completeTasks: (req, ctx) => complete.many(() => req.tasks.map(completeAckFromProto), ctx),
    failTasks: guardUnary(log, "FailTasks", async (req, ctx) => {
      const results = await each(req.tasks, async (r) =>
        scheduler.fail({ taskId: r.taskId, leaseToken: r.leaseToken, error: r.error, retryable: r.retryable, requeue: r.requeue }),
      );
      return acksResponse(ctx, FailTasksResponseSchema, results);
    }),
  });
  readCompletesDirectly(router, complete);
}

/** A LeaseTasks request's reclaim fields; held ids without reclaim would be ignored silently, so they are refused. */
function reclaimFromProto(reclaim: boolean, heldTaskIds: string[]): { heldTaskIds: string[] } | undefined {
  if (reclaim) return { heldTaskIds };
  if (heldTaskIds.length > 0) throw new InvalidArgumentError("held_task_ids", "is read only with reclaim set");
  return undefined;
}
