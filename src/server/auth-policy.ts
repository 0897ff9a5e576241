/**
 * Who may call what. A bearer token carries one role:
 * - `producer`: TaskService's enqueue, get, list, watch, cancel, retry and stats;
 * - `worker`: all of WorkerService (lease, heartbeat, complete, fail);
 * - `admin`: everything, including PurgeTasks and the category settings (PauseCategory,
 *   ResumeCategory, SetCategoryLimits).
 * Health is open to every caller, with or without a token, so load balancers need none.
 *
 * The lists name what a role may do, never what it may not: an RPC added later is
 * admin-only until someone decides otherwise here.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { Health } from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";

/** Every role a token may have. */
export const ROLES = ["producer", "worker", "admin"] as const;

/** What a token may do; see the module comment. */
export type Role = (typeof ROLES)[number];

const t = TaskService.method;
// By name rather than by object: a second copy of the generated module must not lock everyone out.
const PRODUCER_METHODS: ReadonlySet<string> = new Set(
  [t.enqueueTask, t.enqueueTasks, t.getTask, t.listTasks, t.watchTask, t.watchTasks, t.cancelTask, t.retryTask, t.getStats].map(
    procedureOf,
  ),
);

/** "package.Service/Method", as in the request path and in log lines. */
export function procedureOf(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** Whether anyone may call this service's RPCs without a token. */
export function isOpen(service: DescService): boolean {
  return service.typeName === Health.typeName;
}

/** Whether a token with `role` may call `method`. */
export function mayCall(role: Role, method: DescMethod): boolean {
  switch (role) {
    case "admin":
      return true;
    case "producer":
      return PRODUCER_METHODS.has(procedureOf(method));
    case "worker":
      return method.parent.typeName === WorkerService.typeName;
  }
}
