/**
 * Properties of every TaskService RPC under random and malformed requests: a request with a
 * bad field is refused INVALID_ARGUMENT naming a bad field; otherwise the truth (NOT_FOUND
 * for an unknown id, or success). Never INTERNAL; a refused call changes nothing; a read
 * changes nothing either. Run by the router and real-server fuzz tests with their own counts.
 */
import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ListValueSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { EnqueueTaskRequestSchema } from "@gobq/sdk/gen/task_service_pb.js";
import fc from "fast-check";
import {
  badList,
  badName,
  badNonEmptyName,
  badTimestamp,
  blamed,
  doubleOutside,
  durationMs,
  durationOutside,
  field,
  freeText,
  goodJson,
  goodName,
  intOutside,
  oversizedValue,
  tooLong,
  unknownEnum,
  badDuration,
} from "./arbitraries.js";
import { type Fixture, type FixtureSource, checkOutcome, expected } from "./fixture.js";
import { idOf, idRef, idTruth } from "./refs.js";

/** A named property and how to run it. */
export interface Property {
  name: string;
  run(): Promise<void>;
}

const DAY_MS = 86_400_000;
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"), goodJson, { maxKeys: 4 });
const deep = (depth: number, leaf: JsonValue): JsonObject => ({ d: depth === 0 ? leaf : deep(depth - 1, leaf) });
const badKwargs: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.tuple(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), fc.integer({ min: 0, max: 4 })).map(([n, d]) => deep(d, n)),
  fc.integer({ min: 34, max: 44 }).map((d) => deep(d, 1)),
  fc.integer({ min: 60, max: 400 }).map((d) => deep(d, 1)),
);

/** One EnqueueTaskRequest's fields, each drawn good or bad; blame names are prefixed for batches. */
function enqueueRequest(prefix: string) {
  const p = (n: string) => prefix + n;
  return fc
    .record({
      name: field(p("name"), goodName, badName),
      category: field(p("category"), fc.oneof(fc.constant(""), goodName), badNonEmptyName),
      priority: field(p("priority"), fc.integer({ min: 0, max: 4 }), unknownEnum),
      args: field(
        p("args"),
        fc.option(fc.array(goodJson, { maxLength: 3 }).map((a) => fromJson(ListValueSchema, a)), { nil: undefined }),
        fc.oneof(badList.map((b) => b.value), fc.constant(create(ListValueSchema, { values: [oversizedValue] }))),
        [p("args"), "request"],
      ),
      kwargs: field(p("kwargs"), fc.option(jsonObject, { nil: undefined }), badKwargs, [p("kwargs"), "request"]),
      maxRetries: field(p("max_retries"), fc.integer({ min: 0, max: 100 }), intOutside(0, 100)),
      runAt: field(p("run_at"), fc.option(fc.integer({ min: -DAY_MS, max: DAY_MS }).map((d) => timestampFromMs(Date.now() + d)), { nil: undefined }), badTimestamp),
      timeout: field(p("timeout"), fc.option(durationMs(1, 7 * DAY_MS), { nil: undefined }), durationOutside(1, 7 * DAY_MS)),
      idempotencyKey: field(p("idempotency_key"), freeText(256), tooLong(256)),
      initial: field(p("retry_policy.initial_interval"), fc.option(durationMs(0, 60_000), { nil: undefined }), durationOutside(0, 7 * DAY_MS)),
      maximum: field(p("retry_policy.maximum_interval"), fc.option(durationMs(60_000, DAY_MS), { nil: undefined }), durationOutside(0, 7 * DAY_MS)),
      coefficient: field(p("retry_policy.backoff_coefficient"), fc.oneof(fc.constant(0), fc.double({ min: 1, max: 100, noNaN: true })), doubleOutside(1, 100).filter((d) => d !== 0)),
      jitter: field(p("retry_policy.jitter"), fc.double({ min: 0, max: 1, noNaN: true }), doubleOutside(0, 1)),
      withPolicy: fc.boolean().map((value) => ({ value, blame: [] as readonly string[] })),
    })
    .map((f) => {
      const policy = f.withPolicy.value;
      const request = create(EnqueueTaskRequestSchema, {
        name: f.name.value,
        category: f.category.value,
        priority: f.priority.value,
        args: f.args.value,
        kwargs: f.kwargs.value,
        maxRetries: f.maxRetries.value,
        runAt: f.runAt.value,
        timeout: f.timeout.value,
        idempotencyKey: f.idempotencyKey.value,
        retryPolicy: policy
          ? { initialInterval: f.initial.value, maximumInterval: f.maximum.value, backoffCoefficient: f.coefficient.value, jitter: f.jitter.value }
          : undefined,
      });
      const { initial, maximum, coefficient, jitter, ...rest } = f;
      return { request, blame: blamed(policy ? f : rest) };
    });
}

/**
 * Reads a stream's first message, or its end or error. A stream that `waits` (a valid watch
 * with nothing to send yet) is closed after a moment instead, which the caller counts as
 * success; only such streams are ever cut, so every refusal is seen.
 */
async function firstOf(open: (signal: AbortSignal) => AsyncIterable<unknown>, waits: boolean): Promise<void> {
  const ac = new AbortController();
  const timer = waits ? setTimeout(() => ac.abort(), 10) : undefined;
  try {
    for await (const _ of open(ac.signal)) break;
  } catch (err) {
    if (!waits || ConnectError.from(err).code !== Code.Canceled) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort(); // a `break` alone leaves the stream open: connect's iterator does not cancel it
  }
}

const readOnly = { unchanged: () => true };

// Categories of their own, so that a pause or a limit the properties set holds back no fixture's leases.
const settingsCategory = field("category", goodName.map((n) => `fuzz-settings.${n}`), badName);

/** The TaskService properties over `source`, each run `numRuns` times. */
export function taskServiceProperties(source: FixtureSource, numRuns: number): Property[] {
  const check = <T>(arb: fc.Arbitrary<T>, body: (t: T) => Promise<void>) => () => fc.assert(fc.asyncProperty(arb, body), { numRuns });
  const byId = (send: (f: Fixture, id: string) => Promise<unknown>, unchanged?: () => boolean) =>
    check(idRef("id"), (id) => checkOutcome(source, (f) => send(f, idOf(id.value, f.seeded)), expected(id.blame, idTruth(id.value)), { unchanged }));
  return [
    {
      name: "EnqueueTask",
      run: check(enqueueRequest(""), ({ request, blame }) =>
        checkOutcome(source, (f) => f.tasks.enqueueTask(request), expected(blame, "success")),
      ),
    },
    {
      name: "EnqueueTasks",
      run: check(
        fc.oneof(
          { weight: 19, arbitrary: fc.array(fc.nat(), { maxLength: 4 }).chain((ns) => fc.tuple(...ns.map((_, i) => enqueueRequest(`tasks[${i}].`)))) },
          { weight: 1, arbitrary: fc.constant(null) },
        ),
        (draws) => {
          const tooMany = draws === null;
          const requests = tooMany ? Array.from({ length: 10_001 }, () => create(EnqueueTaskRequestSchema, { name: "job" })) : draws.map((d) => d.request);
          const blame = tooMany ? ["tasks"] : draws.flatMap((d) => d.blame);
          return checkOutcome(source, (f) => f.tasks.enqueueTasks({ tasks: requests }), expected(blame, "success"));
        },
      ),
    },
    { name: "GetTask", run: byId((f, id) => f.tasks.getTask({ id }), () => true) },
    { name: "CancelTask", run: byId((f, id) => f.tasks.cancelTask({ id })) },
    { name: "RetryTask", run: byId((f, id) => f.tasks.retryTask({ id })) },
    {
      name: "ListTasks",
      run: check(
        fc.record({
          category: field("category", fc.oneof(fc.constant(""), goodName), badNonEmptyName),
          name: field("name", fc.oneof(fc.constant(""), goodName), badNonEmptyName),
          status: field("status", fc.integer({ min: 0, max: 6 }), unknownEnum),
          pageSize: field("page_size", fc.integer({ min: 0, max: 1000 }), intOutside(0, 1000)),
          pageToken: field(
            "page_token",
            fc.constant(""),
            fc.string({ unit: "binary", minLength: 1, maxLength: 80 }).filter((t) => !/^[0-9a-f-]{36}$/.test(Buffer.from(t, "base64url").toString())),
          ),
        }),
        (r) =>
          checkOutcome(
            source,
            (f) => f.tasks.listTasks({ category: r.category.value, name: r.name.value, status: r.status.value, pageSize: r.pageSize.value, pageToken: r.pageToken.value }),
            expected(blamed(r), "success"),
            readOnly,
          ),
      ),
    },
    { name: "GetStats", run: check(fc.constant(null), () => checkOutcome(source, (f) => f.tasks.getStats({}), "success", readOnly)) },
    {
      name: "WatchTask",
      // after_seq is 0 (the task now is sent at once) or past any change (an unfinished task then waits).
      run: check(fc.tuple(idRef("id"), fc.oneof(fc.constant(0n), fc.bigInt({ min: 2n ** 32n, max: 2n ** 64n - 1n }))), ([id, afterSeq]) =>
        checkOutcome(
          source,
          (f) => {
            const waits = afterSeq > 0n && "seeded" in id.value && (id.value.seeded === "pending" || id.value.seeded === "started");
            return firstOf((signal) => f.tasks.watchTask({ id: idOf(id.value, f.seeded), afterSeq }, { signal }), waits);
          },
          expected(id.blame, idTruth(id.value)),
          readOnly,
        ),
      ),
    },
    {
      name: "WatchTasks",
      run: check(field("category", fc.oneof(fc.constant(""), goodName), badNonEmptyName), (category) =>
        checkOutcome(
          source,
          (f) => firstOf((signal) => f.tasks.watchTasks({ category: category.value }, { signal }), category.blame.length === 0),
          expected(category.blame, "success"),
          readOnly,
        ),
      ),
    },
    {
      name: "PurgeTasks",
      run: check(field("older_than", durationMs(0, 10 * 365 * DAY_MS), fc.option(badDuration, { nil: undefined })), (olderThan) =>
        checkOutcome(source, (f) => f.tasks.purgeTasks({ olderThan: olderThan.value }), expected(olderThan.blame, "success")),
      ),
    },
    {
      name: "PauseCategory",
      run: check(settingsCategory, (category) =>
        checkOutcome(source, (f) => f.tasks.pauseCategory({ category: category.value }), expected(category.blame, "success")),
      ),
    },
    {
      name: "ResumeCategory",
      run: check(settingsCategory, (category) =>
        checkOutcome(source, (f) => f.tasks.resumeCategory({ category: category.value }), expected(category.blame, "success")),
      ),
    },
    {
      name: "SetCategoryLimits",
      run: check(
        fc.record({
          category: settingsCategory,
          maxRunning: field("max_running", fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }), fc.integer({ min: 1_000_001, max: 2 ** 32 - 1 })),
          maxStartsPerSecond: field(
            "max_starts_per_second",
            fc.option(fc.double({ min: 0, max: 1_000_000, noNaN: true }), { nil: undefined }),
            doubleOutside(0, 1_000_000),
          ),
        }),
        (r) =>
          checkOutcome(
            source,
            (f) => f.tasks.setCategoryLimits({ category: r.category.value, maxRunning: r.maxRunning.value, maxStartsPerSecond: r.maxStartsPerSecond.value }),
            expected(blamed(r), "success"),
          ),
      ),
    },
  ];
}
