/** The SDK's priority and status strings ⇄ their proto enum numbers, in one table each. */
import { TaskPriority as PbPriority, TaskStatus as PbStatus } from "./gen/gobq/v1/task_pb.js";
import type { TaskPriority, TaskStatus } from "./types.js";

/** Priority string → proto number. */
export const PRIORITIES: Record<TaskPriority, PbPriority> = {
  low: PbPriority.LOW,
  normal: PbPriority.NORMAL,
  high: PbPriority.HIGH,
  critical: PbPriority.CRITICAL,
};

/** Status string → proto number. */
export const STATUSES: Record<TaskStatus, PbStatus> = {
  pending: PbStatus.PENDING,
  started: PbStatus.STARTED,
  success: PbStatus.SUCCESS,
  failed: PbStatus.FAILED,
  cancelled: PbStatus.CANCELLED,
  retry: PbStatus.RETRY,
};

/** Proto number → priority string. */
export const PRIORITY_NAMES: ReadonlyMap<number, TaskPriority> = new Map(Object.entries(PRIORITIES).map(([k, v]) => [v, k as TaskPriority]));

/** Proto number → status string. */
export const STATUS_NAMES: ReadonlyMap<number, TaskStatus> = new Map(Object.entries(STATUSES).map(([k, v]) => [v, k as TaskStatus]));
