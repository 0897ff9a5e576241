/** Errors as the SDK surfaces them: ConnectError passes through; these helpers read it. */
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Thrown by a handler to fail its task at once, whatever retries are left
 * (as BullMQ's UnrecoverableError).
 */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** The codes worth retrying the same call for: the server is away, busy or shutting down. One table, used everywhere. */
const RETRYABLE_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.ResourceExhausted, Code.DeadlineExceeded, Code.Aborted]);

/** Whether the same call may succeed if made again later. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ConnectError && RETRYABLE_CODES.has(err.code);
}

/** The stable reason the server gave (e.g. "LEASE_LOST", "TASK_NOT_FOUND"), if any. */
export function reasonOf(err: unknown): string | undefined {
  return err instanceof ConnectError ? (err.metadata.get("gobq-reason") ?? undefined) : undefined;
}

/** The request field the server named as bad, if any. */
export function fieldOf(err: unknown): string | undefined {
  return err instanceof ConnectError ? (err.metadata.get("gobq-field") ?? undefined) : undefined;
}

/** A client-side check failed: the same error the server would give, without the round trip. */
export function invalidArgument(field: string, detail: string): ConnectError {
  return new ConnectError(`${field}: ${detail}`, Code.InvalidArgument, { "gobq-reason": "INVALID_ARGUMENT", "gobq-field": field });
}
