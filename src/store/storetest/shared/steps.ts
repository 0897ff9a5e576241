/** What the shared-store tests do often: enqueue, lease and wait, written once. */
import { startAttempt } from "../../../task/transitions.js";
import type { Task } from "../../../task/task.js";
import type { SharedStore, TaskLeaseManyParams } from "../../shared-store.js";

/** A fixed clock reading: the tests pass `now` explicitly. */
export const NOW = 1_700_000_000_000;

/** Enqueues `tasks` and returns the stored versions, checking that none was deduplicated. */
export async function enqueue(store: SharedStore, tasks: readonly Task[], now = NOW): Promise<Task[]> {
  const results = await store.taskEnqueueMany({ tasks, now });
  const deduplicated = results.filter((result) => result.deduplicated);
  if (deduplicated.length > 0) throw new Error(`unexpectedly deduplicated: ${deduplicated.map((r) => r.task.id).join(", ")}`);
  return results.map((result) => result.task);
}

/** Leases up to `limit` tasks of `category` under `leaseMs`-long leases taken at `now`. */
export function lease(
  store: SharedStore,
  category: string,
  options: { limit?: number; now?: number; leaseMs?: number; names?: readonly string[]; onHeld?: TaskLeaseManyParams["onHeld"] } = {},
): Promise<Task[]> {
  const now = options.now ?? NOW;
  const leaseMs = options.leaseMs ?? 30_000;
  return store.taskLeaseMany({
    category,
    names: options.names,
    limit: options.limit ?? 100,
    now,
    onHeld: options.onHeld,
    start: (task) =>
      startAttempt(task, { workerId: "worker-1", token: `token-${task.id}`, expiresAt: now + leaseMs, durationMs: leaseMs }, now),
  });
}

/** Ids, for comparing orders. */
export function ids(tasks: readonly Task[]): string[] {
  return tasks.map((task) => task.id);
}

/** Resolves once `check` holds; rejects with `what` if it does not within `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
