/** Turns a failure to reach or prepare the database into a `StoreOpenError` with one clear line. */
import pg from "pg";
import { StoreOpenError } from "../store.js";

/**
 * The `StoreOpenError` for `cause`, raised while opening the store `describe` names (a URL
 * without its password). The operator needs the store and the reason; the original stays
 * as `cause`.
 */
export function storeOpenError(describe: string, cause: unknown): StoreOpenError {
  if (cause instanceof StoreOpenError) return cause;
  return new StoreOpenError(`cannot open store ${describe}: ${reason(cause)}`, { cause });
}

function reason(cause: unknown): string {
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an
  // AggregateError with an empty message; the first attempt says why.
  const error = cause instanceof AggregateError && cause.errors.length > 0 ? (cause.errors[0] as unknown) : cause;
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const detail = firstLine(error.message) || code || error.name;
  if (error instanceof pg.DatabaseError) return detail;
  if (code === "ECONNREFUSED") return `nothing answers there (${detail})`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host is not known (${detail})`;
  if (/timeout/i.test(detail)) return `the server did not answer in time (${detail})`;
  return detail;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
