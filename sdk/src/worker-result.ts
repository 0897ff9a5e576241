/**
 * What a handler's outcome becomes on the wire: a returned value must be JSON to be a
 * result, a thrown value becomes a TaskFailure. Checked before sending, so that a handler
 * returning a BigInt or a function fails its task with a message that says so, instead
 * of the ack being refused and the task left to its lease.
 */
import { NonRetryableError } from "./errors.js";
import type { TaskFailure } from "./types.js";

/** The server keeps at most this many characters of an error's type. */
const MAX_TYPE_CHARS = 256;
/** Error messages are cut here: a stack-sized message is fine, a megabyte is not. */
const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Why `value` is not JSON, naming where (`result.items[2]`), or undefined if it is.
 * JSON here means what survives a round trip unchanged: null, booleans, finite numbers,
 * strings, arrays and plain objects of these. A Date, a Map, NaN or undefined inside an
 * object would be silently changed or dropped by JSON.stringify, so they are refused.
 */
export function jsonProblem(value: unknown, path = "result", seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case "object": {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself (a cycle)`;
      const proto = Object.getPrototypeOf(value) as unknown;
      const isArray = Array.isArray(value);
      if (!isArray && proto !== Object.prototype && proto !== null) {
        const kind = (value as object).constructor?.name ?? "object";
        return `${path} is a ${kind}, not a plain object; return JSON (e.g. a string or a plain object)`;
      }
      seen.add(value);
      const entries = isArray ? value.map((v, i) => [`${path}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [`${path}.${k}`, v] as const);
      for (const [p, v] of entries) {
        const problem = jsonProblem(v, p, seen);
        if (problem !== undefined) return problem;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${path} is ${value === undefined ? "undefined" : `a ${typeof value}`}, which is not JSON`;
  }
}

/** Whether a thrown value asks to fail at once (also when it comes from another copy of the SDK). */
export function isNonRetryable(err: unknown): boolean {
  return err instanceof NonRetryableError || (err instanceof Error && err.name === "NonRetryableError");
}

/**
 * A thrown value as a TaskFailure: the message, and as type the error's `name`, or its
 * class name when `name` is the generic "Error" (a subclass that did not set it).
 */
export function failureOf(err: unknown): TaskFailure {
  if (!(err instanceof Error)) return { message: clip(String(err), MAX_MESSAGE_CHARS), type: "" };
  const ctor = (err.constructor as { name?: string } | undefined)?.name;
  const type = err.name !== "Error" ? err.name : ctor && ctor !== "Object" ? ctor : "Error";
  return { message: clip(err.message, MAX_MESSAGE_CHARS), type: clip(type, MAX_TYPE_CHARS) };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
