/**
 * `gobq serve` configuration: loadConfig (flags over environment) → withDefaults → validate.
 * Every validation error names the field as the user wrote it (flag, and env variable).
 */
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { DEFAULT_STORE_SCHEMA, parseStoreLocation, storeSchemaProblem, type StoreLocation } from "../store/location.js";
import { checkSecurity, resolveSecurity, securityFields, type SecurityOptions } from "./security.js";

/** Settings as given; every one optional. Flags win over environment variables. */
export interface ServeOptions {
  /** HTTP/2 listener, HOST:PORT. Env GOBQ_LISTEN. Default 127.0.0.1:50051. */
  listen?: string | undefined;
  /** HTTP/1.1 listener, HOST:PORT, or "off". Env GOBQ_HTTP_LISTEN. Default 127.0.0.1:50052, or off with TLS (one port serves both). */
  httpListen?: string | undefined;
  /** `duckdb:PATH`, `memory:` or `postgres://USER@HOST:PORT/DB`. Env GOBQ_STORE. Default duckdb:./data/gobq.duckdb. */
  store?: string | undefined;
  /** The PostgreSQL schema holding gobq's tables, so deployments can share a database. Env GOBQ_STORE_SCHEMA. Default gobq. */
  storeSchema?: string | undefined;
  /** Finished tasks are deleted this long after they finish; "0" keeps them. Env GOBQ_RETENTION. Default 7d. */
  retention?: string | undefined;
  /** Largest args + kwargs of a task, in bytes. Env GOBQ_MAX_PAYLOAD_BYTES. Default 1048576. */
  maxPayloadBytes?: string | undefined;
  /** Largest request message, in bytes. Env GOBQ_MAX_MESSAGE_BYTES. Default 33554432. */
  maxMessageBytes?: string | undefined;
  /** pino level. Env GOBQ_LOG_LEVEL. Default info. */
  logLevel?: string | undefined;
  /** Tasks waiting to run (PENDING or RETRY) in all categories together; more are refused. Env GOBQ_MAX_QUEUED. Default 1000000. */
  maxQueued?: string | undefined;
  /** The same within any one category. Env GOBQ_MAX_QUEUED_PER_CATEGORY. Default 1000000 (only the total binds). */
  maxQueuedPerCategory?: string | undefined;
  /** Open WatchTask/WatchTasks streams (≈ 37 KB heap, 57 KB RSS each). Env GOBQ_MAX_WATCHERS. Default 5000. */
  maxWatchers?: string | undefined;
  /** LeaseTasks long-polls waiting at once (≈ 37 KB heap, 57 KB RSS each). Env GOBQ_MAX_POLLERS. Default 5000. */
  maxPollers?: string | undefined;
  /** Path of the token list (format: tokens.ts). Env GOBQ_TOKENS_FILE. Default: none. */
  tokens?: string | undefined;
  /** The token list itself, for containers; no flag, as a flag shows in `ps`. Env GOBQ_TOKENS. Default: none. */
  tokensInline?: string | undefined;
  /** PEM certificate chain; with tlsKey, serve over TLS. Env GOBQ_TLS_CERT. Default: none (cleartext). */
  tlsCert?: string | undefined;
  /** PEM private key of tlsCert. Env GOBQ_TLS_KEY. Default: none. */
  tlsKey?: string | undefined;
  /** PEM CA certificates; set, every client must present a certificate they signed. Env GOBQ_TLS_CLIENT_CA. Default: none. */
  tlsClientCa?: string | undefined;
  /** "true": serve without authentication on a non-loopback address. Env GOBQ_INSECURE. Default false. */
  insecure?: string | undefined;
}

/** A listener address. */
export interface HostPort {
  host: string;
  port: number;
}

/** Settings after defaults and validation. */
export interface ResolvedServeOptions extends SecurityOptions {
  listen: HostPort;
  httpListen: HostPort | undefined;
  store: StoreLocation;
  retentionMs: number;
  maxPayloadBytes: number;
  maxMessageBytes: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  maxQueued: number;
  maxQueuedPerCategory: number;
  maxWatchers: number;
  maxPollers: number;
}

/** A setting is wrong; the message names it and says what is expected. */
export class ConfigError extends Error {}

const ENV: Record<keyof ServeOptions, [flag: string, env: string]> = {
  listen: ["--listen", "GOBQ_LISTEN"],
  httpListen: ["--http-listen", "GOBQ_HTTP_LISTEN"],
  store: ["--store", "GOBQ_STORE"],
  storeSchema: ["--store-schema", "GOBQ_STORE_SCHEMA"],
  retention: ["--retention", "GOBQ_RETENTION"],
  maxPayloadBytes: ["--max-payload-bytes", "GOBQ_MAX_PAYLOAD_BYTES"],
  maxMessageBytes: ["--max-message-bytes", "GOBQ_MAX_MESSAGE_BYTES"],
  logLevel: ["--log-level", "GOBQ_LOG_LEVEL"],
  maxQueued: ["--max-queued", "GOBQ_MAX_QUEUED"],
  maxQueuedPerCategory: ["--max-queued-per-category", "GOBQ_MAX_QUEUED_PER_CATEGORY"],
  maxWatchers: ["--max-watchers", "GOBQ_MAX_WATCHERS"],
  maxPollers: ["--max-pollers", "GOBQ_MAX_POLLERS"],
  tokens: ["--tokens", "GOBQ_TOKENS_FILE"],
  tokensInline: ["GOBQ_TOKENS", "GOBQ_TOKENS"],
  tlsCert: ["--tls-cert", "GOBQ_TLS_CERT"],
  tlsKey: ["--tls-key", "GOBQ_TLS_KEY"],
  tlsClientCa: ["--tls-client-ca", "GOBQ_TLS_CLIENT_CA"],
  insecure: ["--insecure", "GOBQ_INSECURE"],
};

/** Merges flags over environment variables. */
export function loadConfig(flags: ServeOptions, env: NodeJS.ProcessEnv): ServeOptions {
  const out: ServeOptions = {};
  for (const key of Object.keys(ENV) as Array<keyof ServeOptions>) {
    // String(): commander gives `true` for a flag without a value, such as --insecure.
    const flag = flags[key];
    out[key] = flag === undefined ? env[ENV[key][1]] : String(flag);
  }
  return out;
}

/** Fills unset settings with their defaults. */
export function withDefaults(o: ServeOptions): Required<{ [K in keyof ServeOptions]: string }> {
  return {
    listen: o.listen ?? "127.0.0.1:50051",
    httpListen: o.httpListen ?? (o.tlsCert ? "off" : "127.0.0.1:50052"),
    store: o.store ?? "duckdb:./data/gobq.duckdb",
    storeSchema: o.storeSchema ?? DEFAULT_STORE_SCHEMA,
    retention: o.retention ?? "7d",
    maxPayloadBytes: o.maxPayloadBytes ?? String(1 << 20),
    maxMessageBytes: o.maxMessageBytes ?? String(32 << 20),
    logLevel: o.logLevel ?? "info",
    maxQueued: o.maxQueued ?? "1000000",
    maxQueuedPerCategory: o.maxQueuedPerCategory ?? "1000000",
    maxWatchers: o.maxWatchers ?? "5000",
    maxPollers: o.maxPollers ?? "5000",
    tokens: o.tokens ?? "",
    tokensInline: o.tokensInline ?? "",
    tlsCert: o.tlsCert ?? "",
    tlsKey: o.tlsKey ?? "",
    tlsClientCa: o.tlsClientCa ?? "",
    insecure: o.insecure ?? "false",
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
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    // A mistyped database URL may hold a password: it is left out of the message.
    message: `must be duckdb:PATH, memory: or postgres://USER@HOST:PORT/DB, got ${JSON.stringify(s.replace(/\/\/([^/:@]*):[^/@]*@/, "//$1@"))}`,
  });
  return z.NEVER;
});

const storeSchema = z.string().superRefine((s, ctx) => {
  const problem = storeSchemaProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

// The PostgreSQL schema belongs to the location; other stores have none.
function withSchema(location: StoreLocation, schema: string): StoreLocation {
  return location.kind === "postgres" ? { ...location, schema } : location;
}

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a duration like 30s or 7d, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return ms;
});

const whole = (unit: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number${unit}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const bytes = (min: number, max: number) => whole(" of bytes", min, max);

const schema = z.object({
  listen: hostPort,
  httpListen: z.union([z.literal("off").transform(() => undefined), hostPort]),
  store,
  storeSchema,
  retention: duration,
  maxPayloadBytes: bytes(1024, 64 << 20),
  maxMessageBytes: bytes(64 * 1024, 1 << 30),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  maxQueued: whole("", 1, 1e9),
  maxQueuedPerCategory: whole("", 1, 1e9),
  maxWatchers: whole("", 1, 1e6),
  maxPollers: whole("", 1, 1e6),
  ...securityFields,
})
  .superRefine(checkSecurity)
  .transform(resolveSecurity);

/** Validates settings; throws ConfigError naming the first bad one. */
export function validate(o: ReturnType<typeof withDefaults>): ResolvedServeOptions {
  const r = schema.safeParse(o);
  if (r.success) {
    const { retention, httpListen, store, storeSchema, ...rest } = r.data;
    return { ...rest, store: withSchema(store, storeSchema), httpListen, retentionMs: retention };
  }
  throw configError(r.error);
}

/** Validates only the store settings, for commands that need nothing else (`gobq migrate`). */
export function validateStore(o: Pick<ReturnType<typeof withDefaults>, "store" | "storeSchema">): StoreLocation {
  const r = z.object({ store, storeSchema }).safeParse(o);
  if (r.success) return withSchema(r.data.store, r.data.storeSchema);
  throw configError(r.error);
}

function configError(error: z.ZodError): ConfigError {
  const issue = error.issues[0]!;
  const key = issue.path[0] as keyof ServeOptions;
  const [flag, env] = ENV[key];
  return new ConfigError(`${flag === env ? env : `${flag} (${env})`}: ${issue.message}`);
}
