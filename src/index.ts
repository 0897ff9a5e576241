/**
 * The gobq server as a library: build the scheduler and routes yourself, or start a server.
 * `gobq serve` (src/main.ts) is the composition of exactly these parts.
 */
export { Scheduler, type SchedulerOptions } from "./scheduler/scheduler.js";
export { type Clock, FakeClock, systemClock } from "./scheduler/clock.js";
export { createRoutes, type RoutesOptions } from "./server/routes.js";
export { startServer, type RunningServer, type ServerOptions } from "./server/server.js";
export { openStore, type StoreLocation } from "./store/open.js";
export type { Store } from "./store/store.js";
export type { CategorySettings, CategoryUpdate } from "./task/category-settings.js";
export * from "./task/errors.js";
export type { Task, TaskPriority, TaskStatus, JsonValue, JsonObject } from "./task/task.js";
export { TaskQueue, TasksDisabledError, type TaskQueueOptions, type AddTaskOptions, type TaskStatsSummary } from "./embedded/task-queue.js";
