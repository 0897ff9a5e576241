/**
 * Properties of every WorkerService RPC under random and malformed requests — bad names,
 * durations, progress, results and errors, stale, forged and missing lease tokens, ids of
 * other tasks: refused INVALID_ARGUMENT naming a bad field, else NOT_FOUND, LEASE_LOST or
 * success as the truth is. Batch acks answer per item in the same terms.
 */
import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { AckResult } from "@gobq/sdk/gen/worker_service_pb.js";
import fc from "fast-check";
import { expect } from "vitest";
import * as arb from "./arbitraries.js";
import type { Drawn } from "./arbitraries.js";
import { type Allowed, type FixtureSource, checkOutcome, expected } from "./fixture.js";
import { type IdRef, type TokenRef, idOf, idRef, leaseTruth, tokenOf, tokenRef } from "./refs.js";
import type { Property } from "./task-service-properties.js";

const HOUR_MS = 3_600_000;
// Two bytes each in UTF-8: one past the 1 MiB limit on error messages.
const ERROR_BYTES = (1 << 19) + 1;

/** A task id and lease token, each good or bad, and the truth when both are well-formed. */
const leaseProof = fc.record({ id: idRef("task_id"), token: tokenRef("lease_token") });
type Proof = { id: Drawn<IdRef>; token: Drawn<TokenRef> };

/** A result: good JSON or none; NaN, a kind-less Value, too deep, or more than 1 MiB. `decodable` leaves out the too-deep ones. */
const result = (decodable: boolean) =>
  arb.field(
    "result",
    fc.option(arb.goodJson.map((j) => fromJson(ValueSchema, j)), { nil: undefined }),
    fc.oneof(arb.badValue.filter((b) => !decodable || !b.tooDeepToDecode).map((b) => b.value), fc.constant(arb.oversizedValue)),
    decodable ? ["result"] : ["result", "request"],
  );

const taskError = fc.record({
  message: arb.field("error.message", arb.freeText(200), fc.constant("é".repeat(ERROR_BYTES))),
  type: arb.field("error.type", arb.freeText(256), arb.tooLong(256)),
});

/** Checks one item of a batch ack against what it should be. */
function checkItem(r: AckResult, blame: readonly string[], truth: Allowed | "success", duplicate: boolean): void {
  const seen = JSON.stringify({ reason: r.errorReason, message: r.errorMessage, blame, truth });
  if (blame.length > 0) {
    expect(r.errorReason, seen).toBe("INVALID_ARGUMENT");
    expect(blame.some((b) => r.errorMessage.startsWith(`${b}:`)), seen).toBe(true);
  } else if (truth === "success") {
    // The same live lease twice in one batch: the first item ends it, so the second finds it lost.
    expect(r.errorReason === "" || (duplicate && r.errorReason === "LEASE_LOST"), seen).toBe(true);
  } else {
    expect(r.errorReason, seen).toBe(truth.reason);
  }
}

/** Checks a batch ack of `items`, each a lease proof with its other fields' blame. */
async function checkBatch<T extends { proof: Proof; blame: readonly string[] }>(
  source: FixtureSource,
  items: T[] | null,
  send: (f: Awaited<ReturnType<FixtureSource["get"]>>, items: T[] | null) => Promise<{ results: AckResult[] }>,
): Promise<void> {
  await checkOutcome(
    source,
    async (f) => {
      const { results } = await send(f, items);
      const current = items?.filter((i) => i.blame.length === 0 && leaseTruth(i.proof.id.value, i.proof.token.value) === "success") ?? [];
      results.forEach((r, n) => {
        const item = items![n]!;
        const blame = [...item.blame, ...arb.blamed(item.proof)];
        checkItem(r, blame, leaseTruth(item.proof.id.value, item.proof.token.value), current.length > 1);
      });
      return results;
    },
    items === null ? { codes: [Code.InvalidArgument], fields: ["tasks"] } : "success",
    { unchanged: (results) => results.every((r) => r.errorReason !== "") },
  );
}

/** The WorkerService properties over `source`, each run `numRuns` times. */
export function workerServiceProperties(source: FixtureSource, numRuns: number): Property[] {
  const check = <T>(arb: fc.Arbitrary<T>, body: (t: T) => Promise<void>) => () => fc.assert(fc.asyncProperty(arb, body), { numRuns });
  const proofTruth = (p: Proof, others: readonly string[]) => expected([...others, ...arb.blamed(p)], leaseTruth(p.id.value, p.token.value));
  const tooMany = <T>(item: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 9, arbitrary: fc.array(item, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.constant(null) });
  return [
    {
      name: "LeaseTasks",
      run: check(
        fc.record({
          category: arb.field("category", fc.oneof(fc.constant("$seeded"), arb.goodName), arb.badName),
          workerId: arb.field("worker_id", fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), fc.oneof(fc.constant(""), arb.tooLong(128))),
          taskNames: fc.array(arb.goodName, { maxLength: 3 }).chain((names) =>
            fc.oneof(
              { weight: 6, arbitrary: fc.constant({ value: names, blame: [] as string[] }) },
              { weight: 1, arbitrary: arb.badName.map((bad) => ({ value: [...names, bad], blame: [`task_names[${names.length}]`] })) },
            ),
          ),
          maxTasks: arb.field("max_tasks", fc.integer({ min: 0, max: 1000 }), arb.intOutside(0, 1000)),
          leaseDuration: arb.field("lease_duration", fc.option(arb.durationMs(1000, HOUR_MS), { nil: undefined }), arb.durationOutside(1000, HOUR_MS)),
          // Only wait 0 is drawn valid: a longer valid wait would hold the property for its whole length.
          wait: arb.field("wait", arb.durationMs(0, 0), arb.durationOutside(0, 50_000)),
        }),
        (r) =>
          checkOutcome(
            source,
            (f) =>
              f.workers.leaseTasks({
                category: r.category.value === "$seeded" ? f.seeded.category : r.category.value,
                workerId: r.workerId.value,
                taskNames: r.taskNames.value,
                maxTasks: r.maxTasks.value,
                leaseDuration: r.leaseDuration.value,
                wait: r.wait.value,
              }),
            expected(arb.blamed(r), "success"),
          ),
      ),
    },
    {
      name: "HeartbeatTask",
      run: check(
        fc.record({
          proof: leaseProof,
          progress: arb.field("progress", fc.double({ min: 0, max: 100, noNaN: true }), arb.doubleOutside(0, 100)),
          message: arb.field("progress_message", arb.freeText(1024), arb.tooLong(1024)),
          extendBy: arb.field("extend_by", fc.option(arb.durationMs(1000, HOUR_MS), { nil: undefined }), arb.durationOutside(1000, HOUR_MS)),
        }),
        ({ proof, ...r }) =>
          checkOutcome(
            source,
            (f) =>
              f.workers.heartbeatTask({
                taskId: idOf(proof.id.value, f.seeded),
                leaseToken: tokenOf(proof.token.value, f.seeded),
                progress: r.progress.value,
                progressMessage: r.message.value,
                extendBy: r.extendBy.value,
              }),
            proofTruth(proof, arb.blamed(r)),
          ),
      ),
    },
    {
      name: "CompleteTask",
      run: check(fc.record({ proof: leaseProof, result: result(false) }), ({ proof, result }) =>
        checkOutcome(
          source,
          (f) => f.workers.completeTask({ taskId: idOf(proof.id.value, f.seeded), leaseToken: tokenOf(proof.token.value, f.seeded), result: result.value }),
          proofTruth(proof, result.blame),
        ),
      ),
    },
    {
      name: "FailTask",
      run: check(fc.record({ proof: leaseProof, error: taskError, retryable: fc.boolean(), requeue: fc.boolean() }), ({ proof, error, ...r }) =>
        checkOutcome(
          source,
          (f) =>
            f.workers.failTask({
              taskId: idOf(proof.id.value, f.seeded),
              leaseToken: tokenOf(proof.token.value, f.seeded),
              error: { message: error.message.value, type: error.type.value },
              ...r,
            }),
          proofTruth(proof, arb.blamed(error)),
        ),
      ),
    },
    {
      name: "CompleteTasks",
      run: check(tooMany(fc.record({ proof: leaseProof, result: result(true) }).map((i) => ({ ...i, blame: i.result.blame }))), (items) =>
        checkBatch(source, items, (f, items) =>
          f.workers.completeTasks({
            tasks:
              items?.map((i) => ({ taskId: idOf(i.proof.id.value, f.seeded), leaseToken: tokenOf(i.proof.token.value, f.seeded), result: i.result.value })) ??
              Array.from({ length: 1001 }, () => ({ taskId: f.seeded.started, leaseToken: f.seeded.token })),
          }),
        ),
      ),
    },
    {
      name: "FailTasks",
      run: check(tooMany(fc.record({ proof: leaseProof, error: taskError, retryable: fc.boolean() }).map((i) => ({ ...i, blame: arb.blamed(i.error) }))), (items) =>
        checkBatch(source, items, (f, items) =>
          f.workers.failTasks({
            tasks:
              items?.map((i) => ({
                taskId: idOf(i.proof.id.value, f.seeded),
                leaseToken: tokenOf(i.proof.token.value, f.seeded),
                error: { message: i.error.message.value, type: i.error.type.value },
                retryable: i.retryable,
              })) ?? Array.from({ length: 1001 }, () => ({ taskId: f.seeded.started, leaseToken: f.seeded.token })),
          }),
        ),
      ),
    },
  ];
}
