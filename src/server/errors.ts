/**
 * The one mapping from domain errors to gRPC/Connect status codes (see DESIGN.md "Errors").
 * The stable reason travels in the `gobq-reason` metadata (and, for a bad field, the field
 * in `gobq-field`). Anything that is not a domain error is logged with its cause and
 * reaches the caller only as INTERNAL with a generic message.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import {
  GobqError,
  InvalidArgumentError,
  LeaseLostError,
  PermissionDeniedError,
  ResourceExhaustedError,
  TaskNotFoundError,
  TaskStateConflictError,
  UnauthenticatedError,
  UnavailableError,
} from "../task/errors.js";

/** Where unexpected errors are logged. */
export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/** The status code of a domain error class. */
export function codeOf(err: GobqError): Code {
  if (err instanceof TaskNotFoundError) return Code.NotFound;
  if (err instanceof InvalidArgumentError) return Code.InvalidArgument;
  if (err instanceof LeaseLostError || err instanceof TaskStateConflictError) return Code.FailedPrecondition;
  if (err instanceof ResourceExhaustedError) return Code.ResourceExhausted;
  if (err instanceof UnavailableError) return Code.Unavailable;
  if (err instanceof UnauthenticatedError) return Code.Unauthenticated;
  if (err instanceof PermissionDeniedError) return Code.PermissionDenied;
  return Code.Internal;
}

/** Converts anything thrown by a handler into the ConnectError the caller sees. */
export function toConnectError(err: unknown, log: ErrorLog, procedure: string): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof GobqError) {
    const metadata: Record<string, string> = { "gobq-reason": err.reason };
    if (err instanceof InvalidArgumentError) metadata["gobq-field"] = err.field;
    return new ConnectError(err.message, codeOf(err), metadata);
  }
  log.error({ err, procedure }, "unexpected error in handler");
  return new ConnectError("internal error", Code.Internal, { "gobq-reason": "INTERNAL" });
}
