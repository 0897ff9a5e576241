/**
 * The network server: the same routes on two listeners — HTTP/2 cleartext (gRPC, gRPC-Web,
 * Connect) and HTTP/1.1 (Connect JSON and gRPC-Web for curl and browsers). One port cannot
 * serve both: cleartext HTTP/2 ignores HTTP/1.1, and sniffing the protocol broke HTTP/2.
 * With TLS one port serves both (see secure-server.ts), and a second listener is optional.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConnectRouter } from "@connectrpc/connect";
import { createFastUnaryHandler, type NodeHandler } from "./fast-unary.js";
import { createSecureServer, nodeTlsOptions, type SecureServer, type TlsOptions } from "./secure-server.js";
import { createUnaryRegistry } from "./unary-registry.js";

/** A host and port; port 0 picks a free one. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Options of `startServer`. */
export interface ServerOptions {
  routes: (router: ConnectRouter) => void;
  /** HTTP/2 cleartext listener; with `tls`, HTTP/2 and HTTP/1.1 over TLS. */
  listen: ListenAddress;
  /** HTTP/1.1 listener (over TLS with `tls`); undefined: none. */
  httpListen: ListenAddress | undefined;
  /** Serve over TLS with this certificate. Default: cleartext. */
  tls?: TlsOptions | undefined;
  /** Largest request message accepted, in bytes; larger ones fail before being buffered whole. */
  maxMessageBytes: number;
  /**
   * Serve Connect binary unary calls without connect-node's per-call machinery
   * (fast-unary.ts); false leaves every call to connect-node, for tests that compare the
   * two. Default true.
   */
  fastUnary?: boolean;
}

/** A started server. */
export interface RunningServer {
  /** Where HTTP/2 listens, e.g. http://127.0.0.1:50051 (https:// with TLS). */
  url: string;
  /** Where HTTP/1.1 listens, if it does. */
  httpUrl: string | undefined;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Thrown when a listener cannot start; the message is one clear line. */
export class ListenError extends Error {}

/** Starts both listeners, or neither. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  // A misspelt JSON field (say "maxRetires") must fail loudly, not silently mean "default".
  const jsonOptions = { ignoreUnknownFields: false };
  const registry = createUnaryRegistry({ readMaxBytes: options.maxMessageBytes });
  const connect = connectNodeAdapter({
    routes: options.fastUnary === false ? options.routes : (router) => options.routes(registry.capture(router)),
    readMaxBytes: options.maxMessageBytes,
    jsonOptions,
    // Task payloads are small and clients mostly near: gzip cost more CPU than it saved
    // bytes when profiled. Requests that arrive compressed are still accepted.
    compressMinBytes: Number.MAX_SAFE_INTEGER,
  });
  const handler: NodeHandler =
    options.fastUnary === false ? connect : createFastUnaryHandler({ registry, readMaxBytes: options.maxMessageBytes, jsonOptions, fallback: connect });
  const secure: SecureServer | undefined = options.tls ? createSecureServer(options.tls, handler) : undefined;
  const h2 = secure?.server ?? http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  const h1 = !options.httpListen ? undefined : options.tls ? https.createServer(nodeTlsOptions(options.tls), handler) : http.createServer(handler);
  const scheme = options.tls ? "https" : "http";
  const url = await listen(h2, options.listen, scheme);
  let httpUrl: string | undefined;
  try {
    httpUrl = h1 && options.httpListen ? await listen(h1, options.httpListen, scheme) : undefined;
  } catch (err) {
    await new Promise<void>((r) => h2.close(() => r()));
    throw err;
  }
  return {
    url,
    httpUrl,
    async close(graceMs = 10_000) {
      const h2Closed = new Promise<void>((r) => h2.close(() => r()));
      const h1Closed = h1 ? new Promise<void>((r) => h1.close(() => r())) : Promise.resolve();
      // GOAWAY: clients open no new streams here; streams in flight may finish.
      for (const s of sessions) s.close();
      h1?.closeIdleConnections();
      secure?.drainHttp1();
      const timer = setTimeout(() => {
        for (const s of sessions) s.destroy();
        secure?.destroyHttp1();
        h1?.closeAllConnections();
      }, graceMs);
      await Promise.all([h2Closed, h1Closed]);
      clearTimeout(timer);
    },
  };
}

function listen(server: http.Server | http2.Http2Server | http2.Http2SecureServer, at: ListenAddress, scheme: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = `${at.host}:${at.port}`;
      if (err.code === "EADDRINUSE") reject(new ListenError(`cannot listen on ${where}: the address is already in use`));
      else if (err.code === "EACCES") reject(new ListenError(`cannot listen on ${where}: permission denied`));
      else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND")
        reject(new ListenError(`cannot listen on ${where}: no such local address`));
      else reject(new ListenError(`cannot listen on ${where}: ${err.message}`));
    };
    server.once("error", onError);
    server.listen(at.port, at.host, () => {
      server.off("error", onError);
      const a = server.address() as AddressInfo;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve(`${scheme}://${host}:${a.port}`);
    });
  });
}
