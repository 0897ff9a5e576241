/** The error a call was refused with; fails the test if the call succeeded. */
import { ConnectError } from "@connectrpc/connect";

/** Awaits `p` and returns the ConnectError it was refused with. */
export async function refusal(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to be refused");
}
