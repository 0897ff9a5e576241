/**
 * The TLS listener: HTTP/2 and HTTP/1.1 on one port. Over TLS the client names its protocol
 * in the handshake (ALPN), so gRPC clients get HTTP/2 and curl or browsers HTTP/1.1 on the
 * same socket — what cleartext cannot do. With a client CA, a client without a certificate
 * signed by it fails the handshake before any request is read.
 */
import type * as http from "node:http";
import * as http2 from "node:http2";
import type { Socket } from "node:net";
import type { SecureContextOptions, TlsOptions as NodeTlsOptions } from "node:tls";
import type { NodeHandler } from "./fast-unary.js";

/** PEM certificate material of the server. */
export interface TlsOptions {
  /** The server's certificate chain. */
  cert: Buffer;
  /** Its private key. */
  key: Buffer;
  /** CA certificates that sign client certificates; set: every client must present one. Default: none asked. */
  clientCa?: Buffer | undefined;
}

/** A TLS server speaking both HTTP versions, and how to end its HTTP/1.1 connections on close. */
export interface SecureServer {
  server: http2.Http2SecureServer;
  /** Ends busy HTTP/1.1 connections once their response is sent (`close()` ends idle ones itself). */
  drainHttp1(): void;
  /** Cuts every HTTP/1.1 connection still open. */
  destroyHttp1(): void;
}

/** Node TLS options for these files; shared by the one-port server and a separate HTTPS/1.1 listener. */
export function nodeTlsOptions(tls: TlsOptions): NodeTlsOptions & SecureContextOptions {
  const clientAuth = tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {};
  return { cert: tls.cert, key: tls.key, minVersion: "TLSv1.2", ...clientAuth };
}

/** Creates the one-port TLS server for `handler`. */
export function createSecureServer(tls: TlsOptions, handler: NodeHandler): SecureServer {
  const server = http2.createSecureServer({ ...nodeTlsOptions(tls), allowHTTP1: true }, handler);
  // HTTP/2 sessions end with the caller's GOAWAY; HTTP/1.1 keep-alive sockets would hold
  // close() open, and Http2SecureServer has no closeAllConnections: each is kept here with
  // its count of responses in flight.
  const http1 = new Map<Socket, number>();
  let draining = false;
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket;
    if (!http1.has(socket)) socket.once("close", () => http1.delete(socket));
    http1.set(socket, (http1.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = http1.get(socket);
      if (left === undefined) return;
      http1.set(socket, left - 1);
      if (draining && left === 1) socket.end();
    });
  });
  return {
    server,
    drainHttp1() {
      draining = true;
    },
    destroyHttp1() {
      for (const socket of http1.keys()) socket.destroy();
    },
  };
}
