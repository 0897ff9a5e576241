/**
 * Leases whose answer a worker never received. A LeaseTasks answer can be lost after its
 * leases were committed (the server crashed before replying, the connection broke): the
 * tasks then sit STARTED until their leases run out, and with no retries left they fail
 * without ever having run. A worker whose lease call failed says so on its next one
 * (`reclaim`, with the ids it holds); both schedulers then hand it back what it was leased
 * and does not hold, under new tokens — so an answer that did arrive elsewhere cannot be
 * acted on twice — and without counting another attempt: the lost one never ran.
 */
import { randomUUID } from "node:crypto";
import type { Lease, Task } from "../task/task.js";
import type { LeasedTask } from "./inputs.js";
import type { LeaseRequest } from "./lease-waiters.js";

/** What a reclaiming lease asks: the ids its worker holds, and which tasks it lost. */
export interface Reclaim {
  held: ReadonlySet<string>;
  lost(task: Task): boolean;
}

/** The reclaim of `req`; undefined if `req` does not reclaim. */
export function reclaimOf(req: LeaseRequest): Reclaim | undefined {
  if (req.reclaim === undefined) return undefined;
  const held = new Set(req.reclaim.heldTaskIds.map((id) => id.toLowerCase()));
  return {
    held,
    lost: (task) => task.status === "started" && task.lease?.workerId === req.workerId && task.category === req.category && !held.has(task.id),
  };
}

/** A new lease for the worker of `req`, starting `now`: for every lease both schedulers grant, reclaimed or not. */
export function freshLease(req: LeaseRequest, now: number): Lease {
  return { workerId: req.workerId, token: randomUUID(), expiresAt: now + req.leaseMs, durationMs: req.leaseMs };
}

/** What a lease call answers for a task leased under `freshLease`: the task, its token and expiry. */
export function leasedOf(task: Task): LeasedTask {
  return { task, leaseToken: task.lease!.token, leaseExpiresAt: task.lease!.expiresAt };
}
