/**
 * Bearer-token authentication as a Connect interceptor, so that every transport the routes
 * are mounted on — the network listeners, the in-memory one of tests and the embedded mode —
 * checks callers the same way, before any handler runs.
 *
 * Tokens are held only as SHA-256 digests. A presented token is hashed and compared with
 * every known digest by `timingSafeEqual`, without stopping at a match: digests all have one
 * length, so neither a token's length nor which entry matched shows in the timing. No token,
 * and nothing derived from one, is ever logged or echoed in an error.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { PermissionDeniedError, UnauthenticatedError } from "../task/errors.js";
import { isOpen, mayCall, procedureOf, type Role } from "./auth-policy.js";
import { toConnectError } from "./errors.js";

/** One accepted token: the SHA-256 digest of its UTF-8 bytes, its role, and a label for logs. */
export interface TokenEntry {
  sha256: Buffer;
  role: Role;
  /** Names the holder in log lines (e.g. "billing-producer"); never the token. Default: none. */
  name?: string | undefined;
}

/** Where refused calls are reported; a pino logger fits. */
export interface AuthLog {
  warn(obj: object, msg: string): void;
}

/** Options of `createAuth`. */
export interface AuthOptions {
  /** The accepted tokens; at least one. */
  tokens: readonly TokenEntry[];
  /** Where refused calls are reported. Default: discarded. */
  log?: AuthLog;
}

/** The SHA-256 digest of a token, as the server keeps it. */
export function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

// RFC 6750: the scheme is case-insensitive; the token is one run of visible characters.
const BEARER = /^bearer +([\x21-\x7e]+) *$/i;

/** An interceptor that admits a call only with a known token whose role may make it. */
export function createAuth(options: AuthOptions): Interceptor {
  if (options.tokens.length === 0) throw new RangeError("createAuth: tokens must not be empty");
  const tokens = [...options.tokens];
  const log = options.log ?? { warn() {} };
  const entryFor = (token: string): TokenEntry | undefined => {
    const digest = tokenDigest(token);
    let found: TokenEntry | undefined;
    for (const entry of tokens) if (timingSafeEqual(digest, entry.sha256) && found === undefined) found = entry;
    return found;
  };
  return (next) => async (req) => {
    if (isOpen(req.service)) return next(req);
    const procedure = procedureOf(req.method);
    const refuse = (err: UnauthenticatedError | PermissionDeniedError, client?: string) => {
      log.warn({ procedure, reason: err.reason, client }, "call refused");
      return toConnectError(err, { error() {} }, procedure);
    };
    const header = req.header.get("authorization");
    if (header === null) throw refuse(new UnauthenticatedError("no bearer token: send the header authorization: Bearer <token>"));
    const token = BEARER.exec(header)?.[1];
    const entry = token === undefined ? undefined : entryFor(token);
    if (entry === undefined) throw refuse(new UnauthenticatedError("the bearer token is not valid"));
    if (!mayCall(entry.role, req.method)) {
      throw refuse(new PermissionDeniedError(`role ${entry.role} may not call ${procedure}`), entry.name);
    }
    return next(req);
  };
}

/** The router with `interceptor` put in front of every service registered through it. */
export function interceptedRouter(router: ConnectRouter, interceptor: Interceptor): ConnectRouter {
  const wrapped: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, options) {
      router.service(service, implementation, { ...options, interceptors: [interceptor, ...(options?.interceptors ?? [])] });
      return wrapped;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, { ...options, interceptors: [interceptor, ...(options?.interceptors ?? [])] });
      return wrapped;
    },
  };
  return wrapped;
}
