/** Checks of worker inputs that every scheduler makes before anything changes. */
import { InvalidArgumentError } from "../task/errors.js";
import { BOUNDS, checkId, checkInt, checkLength, checkName, checkRange } from "../task/validate.js";
import type { HeartbeatInput } from "./inputs.js";
import type { LeaseRequest } from "./lease-waiters.js";

/** Throws InvalidArgumentError naming the first bad field of a LeaseTasks request. */
export function checkLeaseRequest(req: LeaseRequest): void {
  checkName("category", req.category);
  if (req.workerId === "") throw new InvalidArgumentError("worker_id", "is required");
  checkLength("worker_id", req.workerId, BOUNDS.workerIdChars);
  req.taskNames?.forEach((n, i) => checkName(`task_names[${i}]`, n));
  checkInt("max_tasks", req.maxTasks, 1, BOUNDS.maxTasksPerLease);
  checkInt("lease_duration", req.leaseMs, BOUNDS.leaseMinMs, BOUNDS.leaseMaxMs);
  checkInt("wait", req.waitMs, 0, BOUNDS.waitMaxMs);
  if (req.reclaim === undefined) return;
  const held = req.reclaim.heldTaskIds;
  if (held.length > BOUNDS.maxHeldTasks) throw new InvalidArgumentError("held_task_ids", `at most ${BOUNDS.maxHeldTasks}, got ${held.length}`);
  held.forEach((id, i) => checkId(`held_task_ids[${i}]`, id));
}

/** Throws InvalidArgumentError naming the first bad field of a heartbeat; returns its progress. */
export function checkHeartbeat(input: HeartbeatInput): number {
  const progress = checkRange("progress", input.progress, 0, 100);
  checkLength("progress_message", input.progressMessage, BOUNDS.progressMessageChars);
  if (input.extendByMs !== undefined) checkInt("extend_by", input.extendByMs, BOUNDS.leaseMinMs, BOUNDS.leaseMaxMs);
  return progress;
}
