/**
 * Property-based fuzzing of every RPC of both services through Connect's in-memory transport:
 * fast, so each property runs many requests. See the *-properties.ts files for what holds.
 */
import { afterAll, describe, it } from "vitest";
import { routerFixtures } from "./fixture.js";
import { taskServiceProperties } from "./task-service-properties.js";
import { workerServiceProperties } from "./worker-service-properties.js";

/** Requests per property; GOBQ_FUZZ_RUNS=1000 digs deeper than CI has time for. */
const RUNS = Number(process.env.GOBQ_FUZZ_RUNS ?? 50);

describe("fuzz: TaskService, in-memory transport", () => {
  const source = routerFixtures();
  afterAll(() => source.close());
  for (const p of taskServiceProperties(source, RUNS)) it(p.name, p.run);
});

describe("fuzz: WorkerService, in-memory transport", () => {
  const source = routerFixtures();
  afterAll(() => source.close());
  for (const p of workerServiceProperties(source, RUNS)) it(p.name, p.run);
});
