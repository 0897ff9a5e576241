/** The one HTTP/2 transport a client or worker shares for all its calls. */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

/** How to reach a gobq server. */
export interface ConnectionOptions {
  /** The server's HTTP/2 address. Default http://127.0.0.1:50051. */
  baseUrl?: string;
  /** A bearer token sent with every call. */
  token?: string;
  /** Use this transport instead (tests, the embedded mode, custom TLS). */
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
  return createGrpcTransport({
    baseUrl: options.baseUrl ?? "http://127.0.0.1:50051",
    interceptors: token ? [auth] : [],
  });
}
