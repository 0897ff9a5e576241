/**
 * The flags of the client commands (`gobq enqueue|get|list|…`) turned into the values the
 * commands take. main.ts reads the command line and the environment and hands the raw
 * strings here; every error names the flag (or variable) the bad value came from.
 */
import type { CategoryLimits, EnqueueOptions, JsonObject, JsonValue, ListFilter, TaskPriority, TaskStatus } from "@gobq/sdk";
import { parseDuration } from "../config/duration.js";
import { CommandError } from "./command-error.js";

/** Where the client commands connect when neither --server nor GOBQ_SERVER is set. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:50051";

/** Flags every client command takes. */
export interface ClientFlags {
  /** The server's HTTP/2 URL. Env GOBQ_SERVER. Default http://127.0.0.1:50051. */
  server?: string;
  /** Print the SDK's objects as JSON instead of text. Default false. */
  json?: boolean;
}

/** Flags of `gobq enqueue`, as given. */
export interface EnqueueFlags {
  category?: string;
  priority?: string;
  args?: string;
  kwargs?: string;
  maxRetries?: string;
  delay?: string;
  timeout?: string;
  idempotencyKey?: string;
}

/** Flags of `gobq limits`, as given; one left out keeps the server's value. */
export interface LimitsFlags {
  maxRunning?: string;
  maxStartsPerSecond?: string;
}

/** Flags of `gobq list`, as given. */
export interface ListFlags {
  category?: string;
  status?: string;
  name?: string;
  /** Default 100. */
  limit?: string;
}

const PRIORITIES: readonly TaskPriority[] = ["low", "normal", "high", "critical"];
const STATUSES: readonly TaskStatus[] = ["pending", "started", "success", "failed", "cancelled", "retry"];

/** The server URL from --server, else GOBQ_SERVER, else the default. */
export function serverUrlFrom(flag: string | undefined, env: string | undefined): string {
  const [source, text] = flag !== undefined ? ["--server", flag] : env ? ["GOBQ_SERVER", env] : ["", DEFAULT_SERVER_URL];
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new CommandError(`${source}: must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
  }
  return text.replace(/\/+$/, "");
}

/** `gobq enqueue`'s flags as SDK enqueue options. */
export function enqueueOptionsFrom(flags: EnqueueFlags): EnqueueOptions {
  const options: EnqueueOptions = {};
  if (flags.category !== undefined) options.category = flags.category;
  if (flags.priority !== undefined) options.priority = oneOf("--priority", flags.priority, PRIORITIES);
  if (flags.args !== undefined) options.args = jsonFlag("--args", flags.args, "list") as JsonValue[];
  if (flags.kwargs !== undefined) options.kwargs = jsonFlag("--kwargs", flags.kwargs, "object") as JsonObject;
  if (flags.maxRetries !== undefined) options.maxRetries = countFlag("--max-retries", flags.maxRetries, 0);
  if (flags.delay !== undefined) options.delayMs = durationFlag("--delay", flags.delay);
  if (flags.timeout !== undefined) {
    options.timeoutMs = durationFlag("--timeout", flags.timeout);
    if (options.timeoutMs === 0) throw new CommandError(`--timeout: must be longer than 0, got ${JSON.stringify(flags.timeout)}`);
  }
  if (flags.idempotencyKey !== undefined) options.idempotencyKey = flags.idempotencyKey;
  return options;
}

/** `gobq list`'s flags as an SDK filter and the most tasks to show. */
export function listQueryFrom(flags: ListFlags): { filter: ListFilter; limit: number } {
  const filter: ListFilter = {};
  if (flags.category !== undefined) filter.category = flags.category;
  if (flags.name !== undefined) filter.name = flags.name;
  if (flags.status !== undefined) filter.status = oneOf("--status", flags.status, STATUSES);
  return { filter, limit: flags.limit === undefined ? 100 : countFlag("--limit", flags.limit, 1) };
}

/** `gobq limits`'s flags as the SDK's limits: whole and fractional numbers of at least 0 (0: no limit). */
export function limitsFrom(flags: LimitsFlags): CategoryLimits {
  const limits: CategoryLimits = {};
  if (flags.maxRunning !== undefined) limits.maxRunning = countFlag("--max-running", flags.maxRunning, 0);
  if (flags.maxStartsPerSecond !== undefined) {
    const text = flags.maxStartsPerSecond.trim();
    const rate = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(rate)) {
      throw new CommandError(`--max-starts-per-second: must be a number of at least 0, such as 5 or 0.5, got ${JSON.stringify(flags.maxStartsPerSecond)}`);
    }
    limits.maxStartsPerSecond = rate;
  }
  return limits;
}

/** A duration flag ("500ms", "10s", "7d", or bare milliseconds) in ms. */
export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CommandError(`${flag}: must be a duration such as 500ms, 10s, 5m or 7d, got ${JSON.stringify(text)}`);
  return ms;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new CommandError(`${flag}: must be one of ${allowed.join(", ")}, got ${JSON.stringify(text)}`);
}

function countFlag(flag: string, text: string, min: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new CommandError(`${flag}: must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function jsonFlag(flag: string, text: string, shape: "list" | "object"): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CommandError(`${flag}: not valid JSON (${(err as Error).message})`);
  }
  const isList = Array.isArray(value);
  const isObject = typeof value === "object" && value !== null && !isList;
  if (shape === "list" ? !isList : !isObject) {
    const example = shape === "list" ? `[1, "a"]` : `{"to": "a@b.c"}`;
    throw new CommandError(`${flag}: must be a JSON ${shape} such as ${example}, got ${describeJson(value)}`);
  }
  return value;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
