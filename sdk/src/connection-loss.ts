/**
 * connect-node reports a call whose HTTP/2 connection died under it as CANCELED, and a
 * call the server turned away unprocessed as it shut down (REFUSED_STREAM) as INTERNAL.
 * Both are what gRPC calls UNAVAILABLE: the server is away, and the same call may succeed
 * later (RFC 9113 §8.7 says a refused stream was not processed). This interceptor gives
 * them that code, so `isRetryable`, the Worker's retries and `watch`'s reconnects treat
 * them as the outage they are. A call the caller itself cancelled stays CANCELED.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

function asUnavailable(err: unknown, signal: AbortSignal): unknown {
  if (!(err instanceof ConnectError)) return err;
  const lost = err.code === Code.Canceled && !signal.aborted;
  const refused = err.code === Code.Internal && /NGHTTP2_REFUSED_STREAM/.test(String(err.cause));
  if (!lost && !refused) return err;
  return new ConnectError(`the connection to the server was lost: ${err.rawMessage}`, Code.Unavailable, err.metadata, undefined, err);
}

async function* rethrowing<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw asUnavailable(err, signal);
  }
}

/** See the module comment. */
export const connectionLossAsUnavailable: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: rethrowing(res.message, req.signal) } : res;
  } catch (err) {
    throw asUnavailable(err, req.signal);
  }
};
