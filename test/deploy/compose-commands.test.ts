/**
 * docker-compose.yml, run outside containers: every service's command and environment, as the
 * Dockerfile and the compose file give them, started in `depends_on` order as host processes
 * (see compose-run.ts for what the host stands in for). The three replicas must answer health
 * on one database, and the example worker must run the example producer's tasks.
 *
 * Needs GOBQ_TEST_POSTGRES_URL (CI sets it); each run uses a fresh schema and drops it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskClient, type Task } from "@gobq/sdk";
import { readCompose, startOrder } from "./compose-file.js";
import { commandOf, imageOf, isDatabase, isLongRunning, runCompose, type ComposeRun } from "./compose-run.js";
import { readDockerfile } from "./dockerfile.js";

const databaseUrl = process.env.GOBQ_TEST_POSTGRES_URL;
if (!databaseUrl) console.log("test/deploy/compose-commands.test.ts skipped: GOBQ_TEST_POSTGRES_URL is not set");

// The secrets the compose file asks for, as a user's .env would give them.
const vars = {
  POSTGRES_PASSWORD: randomBytes(16).toString("hex"),
  GOBQ_PRODUCER_TOKEN: randomBytes(16).toString("hex"),
  GOBQ_WORKER_TOKEN: randomBytes(16).toString("hex"),
};
const services = readCompose(vars);
const image = imageOf(readDockerfile());
const replicas = Object.keys(services).filter((n) => {
  const s = services[n]!;
  return s.build !== undefined && isLongRunning(s) && commandOf(s, image).includes("serve");
});

describe("docker-compose.yml", () => {
  it("has PostgreSQL, three gobq replicas on one database and schema with tokens, a worker and a producer", () => {
    const names = Object.keys(services);
    const databases = names.filter((n) => isDatabase(services[n]!));
    expect(databases).toHaveLength(1);
    expect(services[databases[0]!]!.image).toMatch(/^postgres:16\.\d+/);
    // Every other service runs the image built from the Dockerfile, so the test below runs it.
    expect(names.filter((n) => !isDatabase(services[n]!) && services[n]!.build !== ".")).toEqual([]);
    expect(replicas).toHaveLength(3);
    const env = (n: string) => ({ ...image.env, ...services[n]!.environment });
    for (const key of ["GOBQ_STORE", "GOBQ_STORE_SCHEMA", "GOBQ_TOKENS"]) {
      expect(new Set(replicas.map((n) => env(n)[key])).size, key).toBe(1);
    }
    expect(new URL(env(replicas[0]!).GOBQ_STORE!).hostname).toBe(databases[0]);
    for (const n of replicas) {
      expect(env(n).GOBQ_INSECURE).toBeUndefined();
      expect(commandOf(services[n]!, image)).not.toContain("--insecure");
    }
    const examples = names.map((n) => commandOf(services[n]!, image).join(" "));
    expect(examples.filter((c) => c.endsWith("examples/worker.ts"))).toHaveLength(1);
    expect(examples.filter((c) => c.endsWith("examples/producer.ts"))).toHaveLength(1);
  });
});

describe.skipIf(!databaseUrl)("docker-compose.yml, run outside containers", () => {
  const schema = `gobq_deploy_${randomBytes(6).toString("hex")}`;
  let run: ComposeRun | undefined;

  beforeAll(async () => {
    run = await runCompose(services, startOrder(services), image, { databaseUrl: databaseUrl!, schema });
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }, 60_000);

  it("ran every service but the database, the one-shot ones to a zero exit", () => {
    const ran = [...run!.running.keys(), ...run!.finished.keys()].sort();
    expect(ran).toEqual(Object.keys(services).filter((n) => !isDatabase(services[n]!)).sort());
    expect([...run!.finished.keys()].sort()).toEqual(Object.keys(services).filter((n) => !isDatabase(services[n]!) && !isLongRunning(services[n]!)).sort());
  });

  it("starts three replicas that answer health through the image's own health check", async () => {
    expect([...run!.healthy].sort()).toEqual([...replicas].sort());
    for (const n of replicas) expect(await run!.checkHealth(n), n).toBe(0);
  });

  it("has the worker run the producer's tasks, seen alike through every replica", async () => {
    const producer = Object.keys(services).find((n) => commandOf(services[n]!, image).join(" ").endsWith("examples/producer.ts"))!;
    const worker = Object.keys(services).find((n) => commandOf(services[n]!, image).join(" ").endsWith("examples/worker.ts"))!;
    const printed = run!.finished.get(producer)!.stdout;
    expect(printed).toMatch(/^enqueued [0-9a-f-]{36}; watching it:$/m);
    expect(printed).toMatch(/^ +success +\d+% /m);
    expect(printed).toMatch(/^result: \{ path: 'cat-200\.png' \}$/m);
    expect(run!.running.get(worker)!.stdout()).toContain('sending "Welcome" to a@example.com');

    for (const n of replicas) {
      const client = new TaskClient({ baseUrl: run!.listeners.get(n)!.url, token: vars.GOBQ_PRODUCER_TOKEN });
      const tasks: Task[] = [];
      for await (const t of client.list({ category: "media" })) tasks.push(t);
      expect(tasks.map((t) => [t.name, t.status]).sort(), n).toEqual([
        ["resize_image", "success"],
        ["send_email", "success"],
      ]);
    }
  });
});
