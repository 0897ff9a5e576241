/**
 * @gobq/sdk — the TypeScript client for gobq.
 *
 * - `TaskClient` for producers, admins and dashboards: enqueue (auto-batched), get, list,
 *   cancel, retry, stats, purge, watch, waitFor; pause, resume and setLimits of a category.
 * - `Worker` for remote worker processes: lease by category, run handlers, heartbeat,
 *   complete or fail.
 *
 * No native dependency, nothing of the server: a producer installs only this.
 */
export { TaskClient, type TaskClientOptions, type EnqueueItem } from "./client.js";
export { NonRetryableError, isRetryable, reasonOf, fieldOf } from "./errors.js";
export type { ConnectionOptions, TlsClientOptions } from "./transport.js";
export * from "./types.js";
export { Worker, TaskAbortedError, type WorkerOptions, type StopOptions, type WorkerLog, type TaskContext, type TaskHandler, type AbortReason } from "./worker.js";
