/**
 * `gobq serve`'s security settings, validated with the rest of the config (config.ts): the
 * token list, the TLS files, and the safe default — a listener that other machines can reach
 * needs authentication (tokens, or client certificates) unless `--insecure` says otherwise.
 * Files are read and checked here, at start, so that a bad one is one line naming its flag.
 */
import { readFileSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import { createSecureContext } from "node:tls";
import { z } from "zod";
import type { TokenEntry } from "../server/auth.js";
import type { TlsOptions } from "../server/secure-server.js";
import { parseTokenList } from "./tokens.js";

/** The security part of the resolved config. */
export interface SecurityOptions {
  /** Accepted bearer tokens; undefined: authentication is off and every call is allowed. */
  tokens: TokenEntry[] | undefined;
  /** Serve over TLS with these; undefined: cleartext. */
  tls: TlsOptions | undefined;
  /** Serve without authentication even on an address other machines can reach. Default false. */
  insecure: boolean;
}

/** The parts of the config the checks below read. */
interface Parsed {
  listen: { host: string; port: number };
  httpListen?: { host: string; port: number } | undefined;
  tokens?: TokenEntry[] | undefined;
  tokensInline?: TokenEntry[] | undefined;
  tlsCert?: Buffer | undefined;
  tlsKey?: Buffer | undefined;
  tlsClientCa?: Buffer | undefined;
  insecure: boolean;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether only this machine can reach a listener on `host`; a host name other than localhost might resolve anywhere. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 6 ? "ipv6" : "ipv4");
}

/** A setting that is "" when unset, else read and checked by `read`, whose Error message becomes the issue. */
function optional<T>(read: (text: string) => T) {
  return z.string().transform((text, ctx): T | undefined => {
    if (text === "") return undefined;
    try {
      return read(text);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      return z.NEVER;
    }
  });
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a folder" : (err as Error).message;
    throw new Error(`cannot read ${JSON.stringify(path)}: ${why}`);
  }
}

/** Reads a PEM file and lets OpenSSL judge it as `what`, so that a wrong file fails at start and not at the first handshake. */
function pemFile(what: "cert" | "key" | "ca") {
  return (path: string): Buffer => {
    const pem = readFile(path);
    try {
      createSecureContext({ [what]: pem });
    } catch (err) {
      throw new Error(`${JSON.stringify(path)} is not a usable PEM ${what === "key" ? "private key" : "certificate"} (${(err as Error).message})`);
    }
    return pem;
  };
}

/** The schema fields of the security settings; config.ts merges them into its own. */
export const securityFields = {
  tokens: optional((path) => parseTokenList(readFile(path).toString("utf8"))),
  tokensInline: optional(parseTokenList),
  tlsCert: optional(pemFile("cert")),
  tlsKey: optional(pemFile("key")),
  tlsClientCa: optional(pemFile("ca")),
  insecure: z
    .enum(["true", "false", "1", "0"], { errorMap: () => ({ message: "must be true or false" }) })
    .transform((v) => v === "true" || v === "1"),
};

/**
 * Checks between settings, each issue on the setting to change. Runs even when a field
 * failed (zod then hands it a placeholder), so it trusts no field's shape.
 */
export function checkSecurity(data: Parsed, ctx: z.RefinementCtx): void {
  const issue = (key: keyof Parsed, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
  const given = (v: unknown) => Buffer.isBuffer(v) || Array.isArray(v);
  if (given(data.tokens) && given(data.tokensInline)) issue("tokensInline", "set either this or --tokens (GOBQ_TOKENS_FILE), not both");
  if (given(data.tlsCert) !== given(data.tlsKey)) {
    if (given(data.tlsCert)) issue("tlsKey", "is required with --tls-cert");
    else issue("tlsCert", "is required with --tls-key");
  } else if (given(data.tlsCert)) {
    try {
      createSecureContext({ cert: data.tlsCert, key: data.tlsKey });
    } catch {
      issue("tlsKey", "is not the private key of the certificate in --tls-cert");
    }
  }
  if (given(data.tlsClientCa) && !given(data.tlsCert)) issue("tlsClientCa", "needs --tls-cert and --tls-key: client certificates exist only over TLS");
  const authenticated = given(data.tokens) || given(data.tokensInline) || given(data.tlsClientCa);
  if (authenticated || data.insecure === true) return;
  for (const key of ["listen", "httpListen"] as const) {
    const host = data[key]?.host;
    if (typeof host !== "string" || isLoopback(host)) continue;
    issue(
      key,
      `${host} can be reached from other machines, and without tokens or client certificates anyone there could enqueue, ` +
        "lease and purge tasks: give --tokens FILE (or GOBQ_TOKENS) or --tls-client-ca, or --insecure to serve without authentication anyway",
    );
  }
}

/** The parsed settings with the security ones in their resolved shape. */
export function resolveSecurity<T extends Parsed>(
  data: T,
): Omit<T, "tokens" | "tokensInline" | "tlsCert" | "tlsKey" | "tlsClientCa"> & SecurityOptions {
  const { tokens, tokensInline, tlsCert, tlsKey, tlsClientCa, ...rest } = data;
  const tls = tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey, clientCa: tlsClientCa } : undefined;
  return { ...rest, tokens: tokens ?? tokensInline, tls };
}
