/** Connect gRPC clients for a server URL: one shared HTTP/2 transport, as users should. */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";

/** TaskService and WorkerService clients over gRPC. */
export function grpcClients(baseUrl: string) {
  const transport = createGrpcTransport({ baseUrl });
  return { tasks: createClient(TaskService, transport), workers: createClient(WorkerService, transport) };
}
