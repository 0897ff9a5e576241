/**
 * The calls that carry every task — enqueue, lease, complete — each in two forms with one
 * signature:
 *
 * - raw: request and response bytes written and read by wire/ (raw-call.ts), six to ten
 *   times cheaper per task than protobuf-es's reflection, measured; for the SDK's own
 *   transports, which always speak protobuf binary;
 * - messages: protobuf-es messages, for a transport passed in by the user (tests, the
 *   embedded mode), which may speak JSON.
 *
 * Both send the same requests and give the same values back; the tests check that.
 */
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type CallOptions, type Transport } from "@connectrpc/connect";
import { EnqueueTaskRequestSchema, TaskService } from "./gen/gobq/v1/task_service_pb.js";
import { LeaseTasksRequestSchema, WorkerService } from "./gen/gobq/v1/worker_service_pb.js";
import { taskFromProto, valueToProto } from "./convert.js";
import type { JsonValue, Task } from "./types.js";
import { ProtoWriter } from "./wire/proto-writer.js";
import { rawCaller } from "./wire/raw-call.js";
import {
  type WireAckResult,
  type WireLeasedTask,
  readAckResults,
  readLeasedTasks,
  readTaskList,
  readTaskOf,
  writeCompleteTaskRequest,
  writeRepeated,
} from "./wire/task-wire.js";

/** Enqueues of encoded EnqueueTaskRequests (convert.ts `encodeEnqueue`). */
export interface EnqueueCalls {
  /** EnqueueTask. */
  one(body: Uint8Array): Promise<Task>;
  /** EnqueueTasks: all stored, or none; the tasks in request order. */
  many(bodies: readonly Uint8Array[]): Promise<Task[]>;
}

/** A completion to report; `result` is JSON already checked (worker-result.ts). */
export interface CompleteAck {
  taskId: string;
  leaseToken: string;
  result: JsonValue | undefined;
}

/** A worker's calls that carry tasks. */
export interface WorkerCalls {
  lease(req: MessageInitShape<typeof LeaseTasksRequestSchema>, options: CallOptions): Promise<WireLeasedTask[]>;
  /** CompleteTask: throws if refused. */
  completeOne(ack: CompleteAck): Promise<void>;
  /** CompleteTasks: one result per ack, in order. */
  completeMany(acks: readonly CompleteAck[]): Promise<WireAckResult[]>;
}

/** Enqueue calls over `transport`; `raw` only if it speaks protobuf binary. */
export function enqueueCalls(transport: Transport, raw: boolean): EnqueueCalls {
  if (raw) {
    const call = rawCaller(transport);
    return {
      one: async (body) => readTaskOf(await call(TaskService.method.enqueueTask, body)),
      many: async (bodies) => {
        const w = new ProtoWriter(bodies.reduce((n, b) => n + b.length + 6, 0));
        writeRepeated(w, 1, bodies);
        return readTaskList(await call(TaskService.method.enqueueTasks, w.finish()));
      },
    };
  }
  const rpc = createClient(TaskService, transport);
  const message = (body: Uint8Array) => fromBinary(EnqueueTaskRequestSchema, body);
  return {
    one: async (body) => taskFromProto((await rpc.enqueueTask(message(body))).task!),
    many: async (bodies) => (await rpc.enqueueTasks({ tasks: bodies.map(message) })).tasks.map(taskFromProto),
  };
}

/** Worker calls over `transport`; `raw` only if it speaks protobuf binary. */
export function workerCalls(transport: Transport, raw: boolean): WorkerCalls {
  if (raw) {
    const call = rawCaller(transport);
    const w = new ProtoWriter(4096);
    const encode = (ack: CompleteAck): Uint8Array => {
      w.pos = 0;
      writeCompleteTaskRequest(w, ack.taskId, ack.leaseToken, ack.result);
      return w.finish();
    };
    return {
      lease: async (req, options) =>
        readLeasedTasks(await call(WorkerService.method.leaseTasks, toBinary(LeaseTasksRequestSchema, create(LeaseTasksRequestSchema, req)), options)),
      completeOne: async (ack) => void (await call(WorkerService.method.completeTask, encode(ack))),
      completeMany: async (acks) => {
        const bodies = acks.map(encode);
        const batch = new ProtoWriter(bodies.reduce((n, b) => n + b.length + 6, 0));
        writeRepeated(batch, 1, bodies);
        return readAckResults(await call(WorkerService.method.completeTasks, batch.finish()));
      },
    };
  }
  const rpc = createClient(WorkerService, transport);
  const message = (ack: CompleteAck) => ({ taskId: ack.taskId, leaseToken: ack.leaseToken, result: valueToProto(ack.result) });
  return {
    lease: async (req, options) =>
      (await rpc.leaseTasks(req, options)).tasks.map((l) => ({ task: taskFromProto(l.task!), leaseToken: l.leaseToken })),
    completeOne: async (ack) => void (await rpc.completeTask(message(ack))),
    completeMany: async (acks) => (await rpc.completeTasks({ tasks: acks.map(message) })).results,
  };
}
