/**
 * What a failed client command prints: one line on stderr, exit code 1, never a stack trace
 * for something the user can act on (a bad flag, an unknown id, a server that is down).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { reasonOf, type Task } from "@gobq/sdk";
import { errorText } from "./task-text.js";

/** The command could not do what was asked; the message is the whole explanation. */
export class CommandError extends Error {
  override name = "CommandError";
}

/**
 * The error as a CommandError if it is one the user can act on, else undefined (a bug,
 * which the caller reports with its stack). `serverUrl` is where the command connected.
 */
export function toCommandError(err: unknown, serverUrl: string): CommandError | undefined {
  if (err instanceof CommandError) return err;
  if (!(err instanceof ConnectError)) return undefined;
  // UNAVAILABLE without a gobq reason comes from the transport: nothing answered at all.
  // With a reason, the server answered and is shutting down; its own message says so.
  if (err.code === Code.Unavailable && reasonOf(err) === undefined) {
    return new CommandError(`cannot reach the gobq server at ${serverUrl}: ${err.rawMessage}`);
  }
  // NOT_FOUND and INVALID_ARGUMENT messages already read "task … not found" and
  // "field: what is wrong"; other codes keep Connect's "[code] message" form, so that e.g.
  // a proxy's or another service's answer is recognisable.
  switch (err.code) {
    case Code.NotFound:
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.Unavailable:
      return new CommandError(err.rawMessage);
    case Code.Unauthenticated:
      return new CommandError(`${err.message}; set GOBQ_TOKEN to a token the server accepts`);
    default:
      return new CommandError(err.message);
  }
}

/**
 * The error that ends `enqueue --wait` and `watch` when the task ended failed or cancelled,
 * so scripts can branch on the exit code; undefined when it succeeded.
 */
export function unsuccessfulEnd(task: Task): CommandError | undefined {
  if (task.status === "failed") return new CommandError(`task ${task.id} failed${task.error ? `: ${errorText(task)}` : ""}`);
  if (task.status === "cancelled") return new CommandError(`task ${task.id} was cancelled`);
  return undefined;
}
