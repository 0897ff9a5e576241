/**
 * All gobq routes as one function of a router: the network server, the in-memory test
 * transport and the embedded mode all mount exactly this.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import { type Clock, systemClock } from "../scheduler/clock.js";
import { interceptedRouter } from "./auth.js";
import type { ErrorLog } from "./errors.js";
import { reportDecodeFailuresAsInvalid } from "./decode-failures.js";
import { healthRoutes } from "./health.js";
import { taskServiceRoutes } from "./task-service.js";
import { workerServiceRoutes } from "./worker-service.js";

/** What the routes need. */
export interface RoutesOptions {
  scheduler: TaskScheduler;
  /** Default: the system clock. */
  clock?: Clock;
  /** Where unexpected errors are logged. Default: discarded. */
  log?: ErrorLog;
  /** Checks every call before its handler runs (see `createAuth`). Default: none, anyone may call anything. */
  auth?: Interceptor;
}

/** Returns `(router) => void` registering TaskService, WorkerService and Health. */
export function createRoutes(options: RoutesOptions): (router: ConnectRouter) => void {
  const deps = { scheduler: options.scheduler, clock: options.clock ?? systemClock, log: options.log ?? { error() {} } };
  return (plain) => {
    const router = options.auth ? interceptedRouter(plain, options.auth) : plain;
    const first = plain.handlers.length;
    taskServiceRoutes(router, deps);
    workerServiceRoutes(router, deps);
    healthRoutes(router, deps.scheduler);
    reportDecodeFailuresAsInvalid(plain.handlers, first);
  };
}
