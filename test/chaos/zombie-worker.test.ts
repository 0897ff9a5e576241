/**
 * A zombie worker: its lease ran out, its task moved on to another worker, and then it
 * reports with its old token — before the newer attempt ends, across a server crash, and
 * after. Every such call is refused with LEASE_LOST and changes nothing.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema, durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient, reasonOf } from "@gobq/sdk";
import type { LeasedTask } from "@gobq/sdk/gen/worker_service_pb.js";
import { cleanUp } from "../sdk/worker-harness.js";
import { grpcClients } from "../support/clients.js";
import { startFileServer } from "./file-server.js";

afterEach(cleanUp);

type Workers = ReturnType<typeof grpcClients>["workers"];

/** How the server answered a call: "accepted", or the code and reason of its refusal. */
async function answer(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "accepted";
  } catch (err) {
    return err instanceof ConnectError ? `${Code[err.code]} ${reasonOf(err)}` : String(err);
  }
}

/** Every report a worker can make with `token`: unary and batch heartbeat, complete, fail and hand-back. */
async function staleReports(workers: Workers, taskId: string, token: string): Promise<string[]> {
  const batch = async (call: Promise<{ results: Array<{ errorReason: string }> }>) => {
    const reason = (await call).results[0]!.errorReason;
    return reason === "" ? "accepted" : `FailedPrecondition ${reason}`;
  };
  return [
    await answer(workers.heartbeatTask({ taskId, leaseToken: token, progress: 99, progressMessage: "zombie" })),
    await answer(workers.completeTask({ taskId, leaseToken: token, result: fromJson(ValueSchema, "zombie") })),
    await answer(workers.failTask({ taskId, leaseToken: token, error: { message: "zombie" }, retryable: false })),
    await answer(workers.failTask({ taskId, leaseToken: token, requeue: true })),
    await batch(workers.completeTasks({ tasks: [{ taskId, leaseToken: token, result: fromJson(ValueSchema, "zombie") }] })),
    await batch(workers.failTasks({ tasks: [{ taskId, leaseToken: token, error: { message: "zombie" } }] })),
  ];
}

const REFUSED = Array(6).fill("FailedPrecondition LEASE_LOST");

describe("zombie worker", () => {
  it("is refused with LEASE_LOST on every report once its task moved on, and the newer attempt's outcome stands", async () => {
    const server = await startFileServer();
    const client = new TaskClient({ baseUrl: server.url });
    const { workers } = grpcClients(server.url);
    const category = "zombie";
    const options = { category, maxRetries: 1, retry: { initialMs: 0 } };
    const [toSucceed, toFail] = [await client.enqueue("job", options), await client.enqueue("job", options)];

    const zombie = await workers.leaseTasks({ category, workerId: "zombie", maxTasks: 2, leaseDuration: durationFromMs(1000) });
    expect(zombie.tasks).toHaveLength(2);
    const oldToken = new Map(zombie.tasks.map((l) => [l.task!.id, l.leaseToken]));
    // The zombie stops heartbeating; once its leases run out, a live worker gets both tasks.
    const fresh = new Map<string, LeasedTask>();
    for (let polls = 0; fresh.size < 2 && polls < 10; polls++) {
      const r = await workers.leaseTasks({ category, workerId: "fresh", maxTasks: 2, leaseDuration: durationFromMs(60_000), wait: durationFromMs(10_000) });
      for (const l of r.tasks) fresh.set(l.task!.id, l);
    }
    expect([...fresh.keys()].sort()).toEqual([toSucceed.id, toFail.id].sort());

    for (const id of [toSucceed.id, toFail.id]) {
      expect(await staleReports(workers, id, oldToken.get(id)!)).toEqual(REFUSED);
      // Nothing the zombie sent changed the newer attempt.
      expect(await client.get(id)).toMatchObject({ status: "started", attempt: 2, progress: 0, progressMessage: "", lease: { workerId: "fresh" } });
    }

    // Tokens are stored with the lease: a server crash does not make the old one valid again.
    await server.process.stop("SIGKILL");
    await server.restart();
    expect(await staleReports(workers, toSucceed.id, oldToken.get(toSucceed.id)!)).toEqual(REFUSED);
    const [success, failure] = [fresh.get(toSucceed.id)!, fresh.get(toFail.id)!];
    await workers.heartbeatTask({ taskId: toSucceed.id, leaseToken: success.leaseToken, progress: 50 });
    await workers.completeTask({ taskId: toSucceed.id, leaseToken: success.leaseToken, result: fromJson(ValueSchema, "fresh") });
    await workers.failTask({ taskId: toFail.id, leaseToken: failure.leaseToken, error: { message: "fresh failure" }, retryable: false });

    // After the newer attempt ended, the zombie is still refused and its outcome stands.
    for (const id of [toSucceed.id, toFail.id]) expect(await staleReports(workers, id, oldToken.get(id)!)).toEqual(REFUSED);
    expect(await client.get(toSucceed.id)).toMatchObject({ status: "success", result: "fresh", attempt: 2 });
    expect(await client.get(toFail.id)).toMatchObject({ status: "failed", error: { message: "fresh failure" }, attempt: 2 });
  }, 60_000);
});
