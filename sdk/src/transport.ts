/** The one HTTP/2 transport a client or worker shares for all its calls. */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

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
  /** Use this transport instead (tests, the embedded mode); `baseUrl`, `token` and `tls` are then ignored. */
  transport?: Transport;
}

/** The transport for these options: the given one, or a gRPC transport over one HTTP/2 session. */
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
  return createGrpcTransport({
    baseUrl,
    interceptors: token ? [auth] : [],
    ...(options.tls && { nodeOptions: { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key } }),
  });
}
