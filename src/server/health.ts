/** grpc.health.v1 Health: SERVING while the scheduler takes work, NOT_SERVING once it drains. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from "@gobq/sdk/gen/grpc/health/v1/health_pb.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";

const SERVICES = new Set(["", "gobq.v1.TaskService", "gobq.v1.WorkerService"]);

/** Registers the standard health service. */
export function healthRoutes(router: ConnectRouter, scheduler: TaskScheduler): void {
  const status = () => (scheduler.draining ? ServingStatus.NOT_SERVING : ServingStatus.SERVING);
  router.service(Health, {
    check(req) {
      if (!SERVICES.has(req.service)) throw new ConnectError(`unknown service ${JSON.stringify(req.service)}`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status: status() });
    },
    async *watch(req, ctx) {
      if (!SERVICES.has(req.service)) {
        yield create(HealthCheckResponseSchema, { status: ServingStatus.SERVICE_UNKNOWN });
        return;
      }
      let last = status();
      yield create(HealthCheckResponseSchema, { status: last });
      // Polling a boolean once a second is cheaper than wiring an event for a rare change.
      while (!ctx.signal.aborted && last === ServingStatus.SERVING) {
        await new Promise((r) => setTimeout(r, 1000).unref());
        if (status() !== last) {
          last = status();
          yield create(HealthCheckResponseSchema, { status: last });
        }
      }
    },
  });
}
