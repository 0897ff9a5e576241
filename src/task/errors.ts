/**
 * Domain errors. Each has a stable `reason` that clients may branch on; the server maps
 * each class to one status code (src/server/errors.ts). Anything else thrown is a bug
 * or an outage and reaches callers only as a generic INTERNAL error.
 */

/** Base of every domain error. */
export abstract class GobqError extends Error {
  /** Stable, machine-readable reason, e.g. "LEASE_LOST". */
  abstract readonly reason: string;
}

/** No task has this id. */
export class TaskNotFoundError extends GobqError {
  readonly reason = "TASK_NOT_FOUND";
  constructor(readonly taskId: string) {
    super(`task ${JSON.stringify(taskId)} not found`);
  }
}

/** A request field is missing or out of range; `field` names it as the API spells it. */
export class InvalidArgumentError extends GobqError {
  readonly reason = "INVALID_ARGUMENT";
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** The task is not in a status that allows this operation. */
export class TaskStateConflictError extends GobqError {
  readonly reason = "TASK_STATE_CONFLICT";
}

/** The lease token is not the task's current one: the lease expired or passed to another worker. */
export class LeaseLostError extends GobqError {
  readonly reason = "LEASE_LOST";
  constructor(readonly taskId: string) {
    super(`task ${JSON.stringify(taskId)}: lease lost (expired, or held by another attempt)`);
  }
}

/** A limit on queued tasks, watchers or pollers is reached. */
export class ResourceExhaustedError extends GobqError {
  readonly reason = "RESOURCE_EXHAUSTED";
}

/** The server is shutting down or its store cannot be written; try again later. */
export class UnavailableError extends GobqError {
  readonly reason = "UNAVAILABLE";
}

/** The call carries no bearer token, or one the server does not know. */
export class UnauthenticatedError extends GobqError {
  readonly reason = "UNAUTHENTICATED";
}

/** The caller's token is valid but its role may not make this call. */
export class PermissionDeniedError extends GobqError {
  readonly reason = "PERMISSION_DENIED";
}
