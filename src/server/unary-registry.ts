/**
 * The unary methods registered on a router — implementation, interceptors, serialization —
 * kept for fast-unary.ts, which serves Connect-protocol calls to them without connect's
 * per-call machinery. The registry watches the very router the routes are mounted on, so
 * what it serves is always what connect would: the same implementations, the same
 * interceptors in the same order, the last registration of a path winning as in
 * connect-node's adapter. A registration with options this path does not reproduce
 * (compression, limits, protocols switched off) leaves its path to connect.
 */
import type { DescMessage, DescMethodUnary } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createMethodImplSpec,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import { createMethodSerializationLookup, type MethodSerializationLookup, validateReadWriteMaxBytes } from "@connectrpc/connect/protocol";

/** A unary method as registered, ready to be called. */
export interface UnaryRoute {
  method: DescMethodUnary;
  /** The implementation, bound as connect binds it (a missing one answers UNIMPLEMENTED). */
  impl: (req: unknown, ctx: HandlerContext) => unknown;
  /** Outermost first, as connect applies them. */
  interceptors: readonly Interceptor[];
  /** Connect's own readers and writers of the method's messages, with the server's limits. */
  serialization: MethodSerializationLookup<DescMessage, DescMessage>;
  /** The request type as the service declares it: a raw re-registration may read the body as another type. */
  requestTypeName: string;
}

/** Registrations captured from a router. */
export interface UnaryRegistry {
  /** `router` with every registration also recorded here; pass it to the routes. */
  capture(router: ConnectRouter): ConnectRouter;
  /** The route for a request path (no query), or undefined when connect must serve it. */
  lookup(path: string): UnaryRoute | undefined;
}

type Options = Parameters<ConnectRouter["rpc"]>[2];

// Per-registration options this path reproduces; `grpc`/`grpcWeb` only concern other protocols.
const MODELLED = new Set(["interceptors", "grpc", "grpcWeb"]);

function modelled(opts: Options): boolean {
  if (opts === undefined) return true;
  return Object.entries(opts).every(([k, v]) => v === undefined || MODELLED.has(k) || (k === "connect" && v === true));
}

/** A registry for a server whose router has no options but `readMaxBytes` (see server.ts). */
export function createUnaryRegistry(options: { readMaxBytes: number }): UnaryRegistry {
  const limits = validateReadWriteMaxBytes(options.readMaxBytes, undefined, undefined);
  const routes = new Map<string, UnaryRoute | undefined>();
  const record = (spec: MethodImplSpec, opts: Options) => {
    const path = `/${spec.method.parent.typeName}/${spec.method.name}`;
    if (spec.kind !== "unary" || !modelled(opts)) {
      routes.set(path, undefined);
      return;
    }
    const declared = spec.method.parent.methods.find((m) => m.name === spec.method.name) ?? spec.method;
    routes.set(path, {
      method: spec.method,
      impl: spec.impl as UnaryRoute["impl"],
      interceptors: opts?.interceptors ?? [],
      serialization: createMethodSerializationLookup(spec.method, undefined, undefined, limits),
      requestTypeName: declared.input.typeName,
    });
  };
  return {
    capture(router) {
      const wrapped: ConnectRouter = {
        get handlers() {
          return router.handlers;
        },
        service(service, implementation, opts) {
          router.service(service, implementation, opts);
          const spec = createServiceImplSpec(service, implementation);
          for (const method of service.methods) record(spec.methods[method.localName]!, opts);
          return wrapped;
        },
        rpc(method, impl, opts) {
          router.rpc(method, impl, opts);
          record(createMethodImplSpec(method, impl), opts);
          return wrapped;
        },
      };
      return wrapped;
    },
    lookup: (path) => routes.get(path),
  };
}
