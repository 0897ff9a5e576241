/**
 * What every fuzz property runs against: clients of a server holding a few seeded tasks — one
 * PENDING, one STARTED (with its current lease token and a stale one), one SUCCESS, one
 * FAILED — and the one check all properties share: a call either succeeds, or is refused
 * with an expected code naming a field that really is wrong, never INTERNAL, and the store
 * is exactly as it was.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { expect } from "vitest";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createRoutes } from "../../src/server/routes.js";
import { createMemoryStore } from "../../src/store/memory/index.js";

/** Clients of both services. */
export interface Clients {
  tasks: Client<typeof TaskService>;
  workers: Client<typeof WorkerService>;
}

/** The seeded tasks, all in `category`. */
export interface Seeded {
  category: string;
  pending: string;
  started: string;
  /** The started task's current lease token, and one of its earlier lease. */
  token: string;
  staleToken: string;
  finished: string;
  failed: string;
}

/** Seeded clients; `logged` collects errors the server logged as unexpected (none, ever). */
export interface Fixture extends Clients {
  seeded: Seeded;
  logged: unknown[];
  /**
   * The category `observe` looks at; "" for the whole store. A shared server narrows it to the
   * fixture's own: tasks of earlier fixtures change on their own there (leases expire,
   * delayed tasks come due).
   */
  scope: string;
}

/** Hands out a fixture, and a fresh one after a call changed it (a spoiled fixture is rebuilt lazily). */
export interface FixtureSource {
  get(): Promise<Fixture>;
  spoil(): Promise<void>;
  close(): Promise<void>;
}

/** The few steps seeding takes: through the RPCs, or (faster, for the in-memory fixtures) the scheduler itself. */
interface SeedSteps {
  enqueue(category: string): Promise<string>;
  leaseOne(category: string): Promise<string>;
  complete(id: string, token: string): Promise<unknown>;
  fail(id: string, token: string, requeue: boolean): Promise<unknown>;
}

let seededCount = 0;
/** The longest lease there is: the seeded lease must not expire while a fixture is in use. */
const SEED_LEASE_MS = 3_600_000;

/** Drives the seeded tasks into their statuses, in a category of their own. */
async function seed(steps: SeedSteps): Promise<Seeded> {
  const category = `fuzz-${++seededCount}`;
  const finished = await steps.enqueue(category);
  await steps.complete(finished, await steps.leaseOne(category));
  const failed = await steps.enqueue(category);
  await steps.fail(failed, await steps.leaseOne(category), false);
  const started = await steps.enqueue(category);
  const staleToken = await steps.leaseOne(category);
  await steps.fail(started, staleToken, true); // handed back: that token is stale now
  const token = await steps.leaseOne(category);
  const pending = await steps.enqueue(category);
  return { category, pending, started, token, staleToken, finished, failed };
}

function rpcSteps(c: Clients): SeedSteps {
  return {
    enqueue: async (category) => (await c.tasks.enqueueTask({ name: "job", category })).task!.id,
    leaseOne: async (category) =>
      (await c.workers.leaseTasks({ category, workerId: "seeder", wait: durationFromMs(0), leaseDuration: durationFromMs(SEED_LEASE_MS) })).tasks[0]!.leaseToken,
    complete: (taskId, leaseToken) => c.workers.completeTask({ taskId, leaseToken }),
    fail: (taskId, leaseToken, requeue) => c.workers.failTask({ taskId, leaseToken, error: { message: "boom" }, requeue }),
  };
}

function schedulerSteps(s: Scheduler): SeedSteps {
  const none = { priority: undefined, args: undefined, kwargs: undefined, maxRetries: undefined, runAt: undefined, timeoutMs: undefined };
  return {
    enqueue: async (category) => (await s.enqueue({ name: "job", category, ...none, idempotencyKey: undefined, retryPolicy: undefined })).task.id,
    leaseOne: async (category) => (await s.lease({ category, workerId: "seeder", maxTasks: 1, leaseMs: SEED_LEASE_MS, waitMs: 0 }))[0]!.leaseToken,
    complete: (taskId, leaseToken) => s.complete({ taskId, leaseToken }),
    fail: (taskId, leaseToken, requeue) => s.fail({ taskId, leaseToken, error: { message: "boom", type: "" }, retryable: false, requeue }),
  };
}

/** Fixtures over Connect's in-memory transport: a fresh scheduler and memory store for each. */
export function routerFixtures(): FixtureSource {
  let current: { fixture: Fixture; scheduler: Scheduler } | undefined;
  const source: FixtureSource = {
    async get() {
      if (current === undefined) {
        const scheduler = await Scheduler.open({ store: createMemoryStore() });
        const logged: unknown[] = [];
        const transport = createRouterTransport(createRoutes({ scheduler, log: { error: (o) => logged.push(o) } }));
        const c = clientsOf(transport);
        current = { scheduler, fixture: { ...c, seeded: await seed(schedulerSteps(scheduler)), logged, scope: "" } };
      }
      return current.fixture;
    },
    async spoil() {
      const s = current?.scheduler;
      current = undefined;
      await s?.stop();
    },
    close: () => source.spoil(),
  };
  return source;
}

/** Fixtures on one running server: seeded anew, in a new category, after a call changed them. */
export function serverFixtures(transport: Transport, logged: unknown[]): FixtureSource {
  const c = clientsOf(transport);
  let current: Fixture | undefined;
  return {
    async get() {
      if (current === undefined) {
        const seeded = await seed(rpcSteps(c));
        current = { ...c, seeded, logged, scope: seeded.category };
      }
      return current;
    },
    async spoil() {
      current = undefined;
    },
    async close() {},
  };
}

/** TaskService and WorkerService clients on one transport. */
export function clientsOf(transport: Transport): Clients {
  return { tasks: createClient(TaskService, transport), workers: createClient(WorkerService, transport) };
}

/**
 * What the store holds, as users observe it — GetStats and ListTasks, of the whole store or
 * of one category — minus what moves with the clock.
 */
export async function observe(c: Clients, category = ""): Promise<unknown> {
  const stats = await c.tasks.getStats({});
  const { tasks } = await c.tasks.listTasks({ category, pageSize: 1000 });
  const categories = stats.categories.filter((s) => category === "" || s.category === category).map(({ oldestQueuedAge: _, ...rest }) => rest);
  const counts = category === "" ? { total: stats.total, byStatus: stats.byStatus, byCategory: stats.byCategory } : { total: stats.byCategory[category] };
  return {
    ...counts,
    categories,
    tasks: tasks.map((t) => [t.id, t.status, t.seq, t.attempt, t.retryCount, t.progress, t.progressMessage, t.cancelRequested, t.lease?.expiresAt?.seconds]),
  };
}

/** What a refusal may be: its codes, and for INVALID_ARGUMENT the fields it may name. */
export interface Allowed {
  codes: readonly Code[];
  fields?: readonly string[];
  reason?: string;
}

/** Options of `checkOutcome`. */
export interface OutcomeOptions<R> {
  /** Whether a successful call left the store as it was: read-only calls, or batches whose every item was refused. */
  unchanged?: (result: R) => boolean;
}

/**
 * Runs `call` and checks what a user observes: success, or a ConnectError whose code is
 * allowed — never INTERNAL — naming an allowed field, after which the store is unchanged.
 * After a success the fixture is spoiled (the call may have changed it) unless `unchanged`
 * says it did not, and then that is checked too.
 */
export async function checkOutcome<R>(
  source: FixtureSource,
  call: (f: Fixture) => Promise<R>,
  allowed: Allowed | "success",
  options: OutcomeOptions<R> = {},
): Promise<void> {
  const f = await source.get();
  const before = await observe(f, f.scope);
  let error: ConnectError | undefined;
  let result: R | undefined;
  try {
    result = await call(f);
  } catch (err) {
    error = ConnectError.from(err);
  }
  expect(f.logged).toEqual([]);
  if (error === undefined) {
    expect(allowed, "the call succeeded").toBe("success");
    if (options.unchanged?.(result!)) expect(await observe(f, f.scope), "a call that changes nothing changed the store").toEqual(before);
    else await source.spoil();
    return;
  }
  const seen = { code: Code[error.code], field: error.metadata.get("gobq-field"), reason: error.metadata.get("gobq-reason"), message: error.rawMessage };
  const codes = allowed === "success" ? [] : allowed.codes.map((code) => Code[code]);
  expect(codes, JSON.stringify(seen)).toContain(seen.code);
  if (allowed !== "success" && error.code === Code.InvalidArgument) expect(allowed.fields, JSON.stringify(seen)).toContain(seen.field);
  if (allowed !== "success" && allowed.reason) expect(seen.reason).toBe(allowed.reason);
  expect(await observe(f, f.scope), `the store changed after a refused call: ${JSON.stringify(seen)}`).toEqual(before);
}

/** The refusal for a request with bad fields, or `truth` when it has none. */
export function expected(blame: readonly string[], truth: Allowed | "success"): Allowed | "success" {
  return blame.length > 0 ? { codes: [Code.InvalidArgument], fields: blame } : truth;
}
