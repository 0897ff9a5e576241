/** The one HTTP/2 transport a client or worker shares for all its calls. */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { connectUnary } from "./connect-unary.js";
import { connectionLossAsUnavailable } from "./connection-loss.js";

/**
 * TLS settings for an `https://` baseUrl, as Node's `tls.connect` takes them (PEM text or
 * buffers). Without them, the server's certificate must be signed by a CA Node trusts.
 */
export interface TlsClientOptions {
  /** CA certificates to trust instead of Node's, e.g. for a self-signed or private-CA server. Default: Node's CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** This client's certificate chain, for a server that requires one (`gobq serve --tls-client-ca`). Default: none. */
  cert?: string | Buffer;
  /** The private key of `cert`. Default: none. */
  key?: string | Buffer;
}

/** How to reach a gobq server. */
export interface ConnectionOptions {
  /** The server's HTTP/2 address; `https://` for a server started with --tls-cert. Default http://127.0.0.1:50051. */
  baseUrl?: string;
  /**
   * A bearer token sent with every call, for a server started with --tokens. Its role
   * decides what the calls may do: producer (TaskService but purge), worker (the Worker's
   * calls) or admin (everything). Without one such a server answers UNAUTHENTICATED.
   */
  token?: string;
  /** TLS settings; only with an `https://` baseUrl. Default: Node's trusted CAs, no client certificate. */
  tls?: TlsClientOptions;
  /**
   * The protocol of unary calls over the one HTTP/2 session; the server speaks both on its
   * port. "connect" (Connect's protocol, protobuf binary, made directly on the session:
   * connect-unary.ts) costs a fraction of the CPU per call of "grpc" (connect-node's gRPC
   * transport), measured; streams (watch) use gRPC either way. Choose "grpc" to pass
   * through infrastructure that routes only gRPC. Default "connect".
   */
  protocol?: "connect" | "grpc";
  /** Use this transport instead (tests, the embedded mode); `baseUrl`, `token`, `tls` and `protocol` are then ignored. */
  transport?: Transport;
}

/**
 * Whether the transport for these options is known to speak protobuf binary: the SDK's
 * own transports do; one passed in may speak JSON. Binary lets the hot calls skip
 * protobuf-es's reflection (hot-calls.ts).
 */
export function speaksBinary(options: ConnectionOptions): boolean {
  return options.transport === undefined;
}

/** The transport for these options: the given one, or one over a single HTTP/2 session (see `protocol`). */
export function transportFor(options: ConnectionOptions): Transport {
  if (options.transport) return options.transport;
  const token = options.token;
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const baseUrl = options.baseUrl ?? "http://127.0.0.1:50051";
  // Quietly sending a client key and token in clear text would be worse than refusing.
  if (options.tls && !baseUrl.startsWith("https://")) {
    throw new TypeError(`option tls: needs an https:// baseUrl, got ${JSON.stringify(baseUrl)}`);
  }
  const protocol = options.protocol ?? "connect";
  if (protocol !== "connect" && protocol !== "grpc") {
    throw new TypeError(`option protocol: must be "connect" or "grpc", got ${JSON.stringify(protocol)}`);
  }
  const nodeOptions = options.tls && { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key };
  const common = { baseUrl, interceptors: token ? [connectionLossAsUnavailable, auth] : [connectionLossAsUnavailable], sessionManager: new Http2SessionManager(baseUrl, {}, nodeOptions) };
  const grpc = createGrpcTransport(common);
  if (protocol === "grpc") return grpc;
  // Streams stay on gRPC: with connect-node 2.1.2, a Connect stream that ends while no other
  // call is open leaves its HTTP/2 stream unclosed, and the process would not exit.
  return { unary: connectUnary({ baseUrl, sessionManager: common.sessionManager, token }), stream: grpc.stream.bind(grpc) };
}
