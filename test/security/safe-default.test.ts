/**
 * The safe default: `gobq serve` on an address other machines can reach, with neither tokens
 * nor client certificates, refuses to start — one line saying why, exit code 1 — unless
 * --insecure is given. Loopback addresses need nothing.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { loadConfig, validate, withDefaults } from "../../src/config/config.js";
import { type GobqProcess, runGobq, startGobq } from "../support/gobq-process.js";

describe("gobq serve on a non-loopback address without authentication", () => {
  let server: GobqProcess | undefined;
  afterEach(async () => {
    await server?.stop("SIGKILL");
    server = undefined;
  });

  it.each([
    ["--listen", ["--listen", "0.0.0.0:0", "--http-listen", "127.0.0.1:0"], "--listen (GOBQ_LISTEN): 0.0.0.0 can be reached"],
    ["--http-listen", ["--listen", "127.0.0.1:0", "--http-listen", "0.0.0.0:0"], "--http-listen (GOBQ_HTTP_LISTEN): 0.0.0.0 can be reached"],
  ])("refuses to start when %s is one, saying why in one line", async (_flag, listeners, start) => {
    const r = await runGobq(["serve", ...listeners, "--store", "memory:"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^gobq: ${start.replace(/[()]/g, "\\$&")} .*--tokens FILE.*--insecure`));
  });

  it("starts with --insecure, and answers on loopback", async () => {
    server = await startGobq("memory:", ["--listen", "0.0.0.0:0", "--insecure"]);
    const port = new URL(server.url).port;
    expect(server.url).toBe(`http://0.0.0.0:${port}`);
    // Only ever reached through loopback: the test must not serve other machines.
    const tasks = createClient(TaskService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    expect((await tasks.getStats({})).total).toBe(0n);
  });
});

describe("the addresses that need nothing, and what counts as authentication", () => {
  const config = (flags: Record<string, string>, env: Record<string, string> = {}) => () => validate(withDefaults(loadConfig(flags, env)));
  const TOKENS = JSON.stringify([{ token: "an-admin-token-of-some-length", role: "admin" }]);

  it("both listeners are on loopback by default", () => {
    const { listen, httpListen } = config({})();
    expect([listen.host, httpListen?.host]).toEqual(["127.0.0.1", "127.0.0.1"]);
  });

  it.each(["127.0.0.1", "127.8.9.10", "[::1]", "localhost"])("%s is loopback: no tokens needed", (host) => {
    expect(config({ listen: `${host}:50051`, httpListen: `${host}:50052` })).not.toThrow();
  });

  it.each(["0.0.0.0", "[::]", "10.1.2.3", "gobq.example.com"])("%s needs tokens, or --insecure", (host) => {
    expect(config({ listen: `${host}:50051` })).toThrow(/can be reached from other machines/);
    expect(config({ listen: `${host}:50051` }, { GOBQ_TOKENS: TOKENS })).not.toThrow();
    expect(config({ listen: `${host}:50051`, insecure: "true" })).not.toThrow();
    expect(config({ listen: `${host}:50051` }, { GOBQ_INSECURE: "true" })).not.toThrow();
  });
});
