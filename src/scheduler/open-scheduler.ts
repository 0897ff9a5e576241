/** Picks the scheduler a store needs: in-memory queues for a store of its own, the shared one for a store replicas share. */
import { isSharedStore } from "../store/shared-store.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";
import { SharedScheduler } from "./shared/shared-scheduler.js";
import type { TaskScheduler } from "./task-scheduler.js";

/** Opens the scheduler for `options.store`; see the module comment. */
export async function openScheduler(options: SchedulerOptions): Promise<TaskScheduler> {
  const { store } = options;
  if (isSharedStore(store)) return SharedScheduler.open({ ...options, store });
  return Scheduler.open(options);
}
