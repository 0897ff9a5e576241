/**
 * `gobq serve` configuration: loadConfig (flags over environment) → withDefaults → validate.
 * Every validation error names the field as the user wrote it (flag, and env variable).
 */
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { parseStoreLocation, type StoreLocation } from "../store/location.js";

/** Settings as given; every one optional. Flags win over environment variables. */
export interface ServeOptions {
  /** HTTP/2 listener, HOST:PORT. Env GOBQ_LISTEN. Default 127.0.0.1:50051. */
  listen?: string | undefined;
  /** HTTP/1.1 listener, HOST:PORT, or "off". Env GOBQ_HTTP_LISTEN. Default 127.0.0.1:50052. */
  httpListen?: string | undefined;
  /** `duckdb:PATH` or `memory:`. Env GOBQ_STORE. Default duckdb:./data/gobq.duckdb. */
  store?: string | undefined;
  /** Finished tasks are deleted this long after they finish; "0" keeps them. Env GOBQ_RETENTION. Default 7d. */
  retention?: string | undefined;
  /** Largest args + kwargs of a task, in bytes. Env GOBQ_MAX_PAYLOAD_BYTES. Default 1048576. */
  maxPayloadBytes?: string | undefined;
  /** Largest request message, in bytes. Env GOBQ_MAX_MESSAGE_BYTES. Default 33554432. */
  maxMessageBytes?: string | undefined;
  /** pino level. Env GOBQ_LOG_LEVEL. Default info. */
  logLevel?: string | undefined;
}

/** A listener address. */
export interface HostPort {
  host: string;
  port: number;
}

/** Settings after defaults and validation. */
export interface ResolvedServeOptions {
  listen: HostPort;
  httpListen: HostPort | undefined;
  store: StoreLocation;
  retentionMs: number;
  maxPayloadBytes: number;
  maxMessageBytes: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/** A setting is wrong; the message names it and says what is expected. */
export class ConfigError extends Error {}

const ENV: Record<keyof ServeOptions, [flag: string, env: string]> = {
  listen: ["--listen", "GOBQ_LISTEN"],
  httpListen: ["--http-listen", "GOBQ_HTTP_LISTEN"],
  store: ["--store", "GOBQ_STORE"],
  retention: ["--retention", "GOBQ_RETENTION"],
  maxPayloadBytes: ["--max-payload-bytes", "GOBQ_MAX_PAYLOAD_BYTES"],
  maxMessageBytes: ["--max-message-bytes", "GOBQ_MAX_MESSAGE_BYTES"],
  logLevel: ["--log-level", "GOBQ_LOG_LEVEL"],
};

/** Merges flags over environment variables. */
export function loadConfig(flags: ServeOptions, env: NodeJS.ProcessEnv): ServeOptions {
  const out: ServeOptions = {};
  for (const key of Object.keys(ENV) as Array<keyof ServeOptions>) {
    out[key] = flags[key] ?? env[ENV[key][1]];
  }
  return out;
}

/** Fills unset settings with their defaults. */
export function withDefaults(o: ServeOptions): Required<{ [K in keyof ServeOptions]: string }> {
  return {
    listen: o.listen ?? "127.0.0.1:50051",
    httpListen: o.httpListen ?? "127.0.0.1:50052",
    store: o.store ?? "duckdb:./data/gobq.duckdb",
    retention: o.retention ?? "7d",
    maxPayloadBytes: o.maxPayloadBytes ?? String(1 << 20),
    maxMessageBytes: o.maxMessageBytes ?? String(32 << 20),
    logLevel: o.logLevel ?? "info",
  };
}

const hostPort = z.string().transform((s, ctx) => {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be HOST:PORT, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
});

const store = z.string().transform((s, ctx) => {
  const location = parseStoreLocation(s);
  if (location) return location;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be duckdb:PATH or memory:, got ${JSON.stringify(s)}` });
  return z.NEVER;
});

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a duration like 30s or 7d, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return ms;
});

const bytes = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number of bytes")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const schema = z.object({
  listen: hostPort,
  httpListen: z.union([z.literal("off").transform(() => undefined), hostPort]),
  store,
  retention: duration,
  maxPayloadBytes: bytes(1024, 64 << 20),
  maxMessageBytes: bytes(64 * 1024, 1 << 30),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
});

/** Validates settings; throws ConfigError naming the first bad one. */
export function validate(o: ReturnType<typeof withDefaults>): ResolvedServeOptions {
  const r = schema.safeParse(o);
  if (r.success) {
    const { retention, httpListen, ...rest } = r.data;
    return { ...rest, httpListen, retentionMs: retention };
  }
  const issue = r.error.issues[0]!;
  const key = issue.path[0] as keyof ServeOptions;
  const [flag, env] = ENV[key];
  throw new ConfigError(`${flag} (${env}): ${issue.message}`);
}
