/** Wraps handlers so that every error they throw goes through the one mapping in errors.ts. */
import type { HandlerContext } from "@connectrpc/connect";
import { type ErrorLog, toConnectError } from "./errors.js";

/** A unary handler whose errors are mapped. */
export function guardUnary<I, O>(log: ErrorLog, name: string, fn: (req: I, ctx: HandlerContext) => Promise<O>) {
  return async (req: I, ctx: HandlerContext): Promise<O> => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      throw toConnectError(err, log, name);
    }
  };
}

/** A server-streaming handler whose errors are mapped. */
export function guardStream<I, O>(log: ErrorLog, name: string, fn: (req: I, ctx: HandlerContext) => AsyncIterable<O>) {
  return async function* (req: I, ctx: HandlerContext): AsyncIterable<O> {
    try {
      yield* fn(req, ctx);
    } catch (err) {
      throw toConnectError(err, log, name);
    }
  };
}
