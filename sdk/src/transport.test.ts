import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { TaskClient } from "./client.js";
import { isRetryable } from "./errors.js";

const servers: http2.Http2Server[] = [];
const sessions: http2.ServerHttp2Session[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server that resets every stream it is sent, as one dying mid-call does. */
async function resettingServer(): Promise<string> {
  const server = http2.createServer();
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream) => stream.close(http2.constants.NGHTTP2_CANCEL));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the SDK's own transport", () => {
  it.each(["connect", "grpc"] as const)("reports a call the server reset as UNAVAILABLE, worth retrying (%s)", async (protocol) => {
    const client = new TaskClient({ baseUrl: await resettingServer(), protocol });
    const err = await client.get("01a20000-0000-7000-8000-000000000000").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect(isRetryable(err)).toBe(true);
  });

  it("leaves a call the caller cancelled CANCELED", async () => {
    const client = new TaskClient({ baseUrl: await resettingServer() });
    const stop = new AbortController();
    stop.abort();
    const err = await client.watch("01a20000-0000-7000-8000-000000000000", { signal: stop.signal })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.Canceled);
  });

  it("refuses an unknown protocol, naming the option", () => {
    expect(() => new TaskClient({ protocol: "http" as "grpc" })).toThrow(/option protocol/);
  });
});
