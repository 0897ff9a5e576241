/**
 * A smaller sample of the same properties against the real server on port 0, over gRPC on
 * real sockets: what the in-memory transport cannot show — HTTP/2 framing, the server's
 * message size limit, streams cut by a client going away — holds there too.
 */
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../sdk/worker-harness.js";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";
import { type FixtureSource, clientsOf, observe, serverFixtures } from "./fixture.js";
import { type Property, taskServiceProperties } from "./task-service-properties.js";
import { workerServiceProperties } from "./worker-service-properties.js";

/** A tenth of the in-memory runs: sockets make each request slower. */
const RUNS = Math.ceil(Number(process.env.GOBQ_FUZZ_RUNS ?? 50) / 10);

let server: InProcessServer;
let source: FixtureSource;
beforeAll(async () => {
  server = await startInProcessServer();
  source = serverFixtures(createGrpcTransport({ baseUrl: server.url }), server.logged);
});
afterAll(() => server.stop());

describe("fuzz: both services, real server over gRPC", () => {
  // The properties are built lazily: the server starts only in beforeAll.
  const lazy = (make: (s: FixtureSource, runs: number) => Property[]) =>
    make({ get: () => source.get(), spoil: () => source.spoil(), close: async () => {} }, RUNS);
  for (const p of [...lazy(taskServiceProperties), ...lazy(workerServiceProperties)]) it(p.name, p.run);

  it("is still serving afterwards, with nothing logged as unexpected and no stream left open", async () => {
    const c = clientsOf(createGrpcTransport({ baseUrl: server.url }));
    await expect(observe(c)).resolves.toBeDefined();
    expect(server.logged).toEqual([]);
    // Every watch the properties cut short gave its slot back.
    await until("no watcher or poll is open", async () => {
      const s = await c.tasks.getStats({});
      return s.openWatchers === 0n && s.waitingPollers === 0n;
    });
  });
});
