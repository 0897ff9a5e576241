/** How a call to a server under fault ended, as one word a test can compare. */
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * "OK", the name of the code the call failed with ("Unavailable", …), or "REFUSED_STREAM"
 * for a call the server turned away unprocessed as its GOAWAY crossed the call's stream
 * (safe to retry, RFC 9113 §8.7; connect-node reports it as INTERNAL, so it is told apart
 * by its HTTP/2 cause).
 */
export function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "OK",
    (err: unknown) => {
      if (!(err instanceof ConnectError)) return String(err);
      return err.code === Code.Internal && /NGHTTP2_REFUSED_STREAM/.test(String(err.cause)) ? "REFUSED_STREAM" : Code[err.code];
    },
  );
}
