/**
 * gobq on PostgreSQL: one or three `gobq serve` replicas sharing a fresh schema of the
 * bench database per run (dropped afterwards). Producers and workers spread their calls
 * over the replicas (gobq-client.ts). W5 kills the first replica and restarts it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { TaskClient } from "@gobq/sdk";
import { cpuMs, cpuMsByName, memoryKb } from "../proc-stats.js";
import { trackDir, untrackDir } from "../processes.js";
import { postgresDurability, type PostgresInfo } from "../services.js";
import { GOBQ_WORKER_SETTINGS } from "./gobq-client.js";
import { CATEGORY, finishedAtLeast, startAgain, statusesOf, type GobqHarness, type GobqRun } from "./gobq-harness.js";
import { freePort, startGobqServer, type GobqServer } from "./gobq-server.js";

/** Options of `createGobqPgHarness`. */
export interface GobqPgHarnessOptions {
  name: "gobq-pg" | "gobq-pg3";
  replicas: number;
  repoRoot: string;
  postgres: PostgresInfo;
  cpuProfDir?: string;
}

/** Throws, saying why, if PostgreSQL is not there. */
export function createGobqPgHarness(o: GobqPgHarnessOptions): GobqHarness {
  const postgres = o.postgres;
  if (!postgres.ok) throw new Error(`${postgres.reason}; start it with: ${postgres.howToStart}`);
  const { connectionString } = postgres;
  const admin = new pg.Pool({ connectionString, max: 1 });
  let runs = 0;

  async function prepareGobq(): Promise<GobqRun> {
    const schema = `bench_gobq_${o.replicas}_${process.pid}_${++runs}`;
    const drop = () => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await drop();
    const dir = await mkdtemp(join(tmpdir(), "gobq-bench-pg-"));
    trackDir(dir);
    const storeArgs = ["--store", connectionString, "--store-schema", schema];
    const ports = await Promise.all(Array.from({ length: o.replicas }, () => freePort()));
    const start = (port: number) => startGobqServer({ repoRoot: o.repoRoot, dir, port, storeArgs, cpuProfDir: o.cpuProfDir });
    const servers: GobqServer[] = [];
    try {
      // One after another: the first creates the schema, the others find it migrated.
      for (const port of ports) servers.push(await start(port));
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
      await drop();
      throw err;
    }
    // Reads go to the last replica, which W5 never kills.
    const client = new TaskClient({ baseUrl: servers[servers.length - 1]!.baseUrl });
    return {
      get server() {
        return servers[0]!;
      },
      conn: { baseUrl: servers.map((s) => s.baseUrl).join(","), category: CATEGORY },
      allFinished: (expected) => finishedAtLeast(client, expected),
      serverCpu: () => {
        const out = cpuMsByName(["postgres"]);
        for (const s of servers) {
          const ms = cpuMs(s.pid);
          if (ms !== undefined) out.set(s.pid, ms);
        }
        return out;
      },
      serverPeakKb: () => Math.max(0, ...servers.map((s) => memoryKb(s.pid)?.peakKb ?? 0)) || undefined,
      crash: () => servers[0]!.kill("SIGKILL"),
      async restart() {
        const t0 = Date.now();
        servers[0] = await startAgain(() => start(ports[0]!));
        return Date.now() - t0;
      },
      statuses: () => statusesOf(client),
      async dispose() {
        await Promise.all(servers.map((s) => s.stop()));
        await rm(dir, { recursive: true, force: true });
        untrackDir(dir);
        await drop();
      },
    };
  }

  return {
    name: o.name,
    settings: [
      `${o.replicas} \`gobq serve --store postgres://… --store-schema …\` replica${o.replicas > 1 ? "s" : ""} on the same PostgreSQL server as the peers (a fresh schema per run), \`--log-level warn --http-listen off\``,
      o.replicas > 1
        ? "producer: one SDK `TaskClient` per replica, calls sent to each in turn; worker: one SDK `Worker` per replica, the 32 slots shared out"
        : `producer: SDK \`TaskClient\` as gobq's; worker: SDK ${GOBQ_WORKER_SETTINGS}`,
      "leasing in the database (`FOR UPDATE SKIP LOCKED`), replicas woken by `LISTEN/NOTIFY`",
    ],
    durability: `${postgresDurability(postgres)}; each change is its own transaction, committed before the call answers`,
    prepare: prepareGobq,
    prepareGobq,
    close: () => admin.end(),
  };
}
