/**
 * gobq's harness face: each run gets its own `gobq serve` process on a DuckDB file in a
 * fresh temporary directory, deleted afterwards. W5 crashes and restarts that server.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskClient } from "@gobq/sdk";
import { sleep } from "../clock.js";
import { cpuMs, memoryKb } from "../proc-stats.js";
import { trackDir, untrackDir } from "../processes.js";
import { GOBQ_WORKER_SETTINGS } from "./gobq-client.js";
import { freePort, startGobqServer, type GobqServer } from "./gobq-server.js";
import type { PreparedRun, SystemHarness } from "./system.js";

/** The category every gobq job of the harness goes to. */
export const CATEGORY = "bench";

/** Starts a server again where a killed one ran; its port (and file lock) go with it, but the OS may lag. */
export async function startAgain(start: () => Promise<GobqServer>): Promise<GobqServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(500);
    }
  }
}

/** Every task of the harness's category, id → status, read through the API. */
export async function statusesOf(client: TaskClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const t of client.list({ category: CATEGORY, pageSize: 1000 })) out.set(t.id, t.status);
  return out;
}

/** Whether at least `expected` tasks succeeded. */
export async function finishedAtLeast(client: TaskClient, expected: number): Promise<boolean> {
  return ((await client.stats()).byStatus.success ?? 0) >= expected;
}

/** A gobq run: its server can be crashed and restarted, and its tasks listed. */
export interface GobqRun extends PreparedRun {
  /** The server now running (a new process after `restart`). */
  readonly server: GobqServer;
  /** SIGKILL: no shutdown, no flush. */
  crash(): Promise<void>;
  /** Starts the server again on the same file and port; resolves with ms until it listened. */
  restart(): Promise<number>;
  /** Every task of the run, id → status, read through the API. */
  statuses(): Promise<Map<string, string>>;
}

/** gobq's harness face, with `prepareGobq` for the workloads only gobq runs. */
export interface GobqHarness extends SystemHarness {
  prepareGobq(): Promise<GobqRun>;
}

/** Options of `createGobqHarness`. */
export interface GobqHarnessOptions {
  repoRoot: string;
  /** Profile every server into this directory. */
  cpuProfDir?: string;
}

/** Throws, saying why, if gobq cannot run here. */
export function createGobqHarness(o: GobqHarnessOptions): GobqHarness {
  if (!existsSync(join(o.repoRoot, "bin", "gobq.js"))) throw new Error(`bin/gobq.js not found under ${o.repoRoot}`);

  async function prepareGobq(): Promise<GobqRun> {
    const dir = await mkdtemp(join(tmpdir(), "gobq-bench-run-"));
    trackDir(dir);
    const port = await freePort();
    const start = () => startGobqServer({ repoRoot: o.repoRoot, dir, port, cpuProfDir: o.cpuProfDir });
    let server: GobqServer;
    try {
      server = await start();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
      throw err;
    }
    const client = new TaskClient({ baseUrl: server.baseUrl });
    return {
      get server() {
        return server;
      },
      conn: { baseUrl: server.baseUrl, category: CATEGORY },
      allFinished: (expected) => finishedAtLeast(client, expected),
      serverCpu: () => {
        const ms = cpuMs(server.pid);
        return new Map(ms === undefined ? [] : [[server.pid, ms]]);
      },
      serverPeakKb: () => memoryKb(server.pid)?.peakKb,
      crash: () => server.kill("SIGKILL"),
      async restart() {
        const t0 = Date.now();
        server = await startAgain(start);
        return Date.now() - t0;
      },
      statuses: () => statusesOf(client),
      async dispose() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
        untrackDir(dir);
      },
    };
  }

  return {
    name: "gobq",
    settings: [
      "`gobq serve` on its DuckDB default (a fresh file per run), `--log-level warn --http-listen off`, one process",
      "producer: SDK `TaskClient` (concurrent `enqueue` calls auto-batched into EnqueueTasks, window 0); bulk: `enqueueMany`",
      `worker: SDK ${GOBQ_WORKER_SETTINGS}`,
      "priorities: `low` / `high` (the API's own levels)",
      "producer, worker and server are three processes on loopback; the SDK's default protocol: Connect's (protobuf binary) for unary calls, gRPC for streams, over one HTTP/2 connection per client",
    ],
    durability:
      "DuckDB file behind gobq's write-ahead log: each group commit is appended with one O_DSYNC write, on disk before the RPCs in it answer (W5 checks a SIGKILL loses nothing acknowledged)",
    prepare: prepareGobq,
    prepareGobq,
    close: async () => {},
  };
}
