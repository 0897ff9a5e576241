/**
 * A real `gobq serve` process on a DuckDB file, as users run it: started from bin/gobq.js,
 * ready once it prints its "gobq listening URL" line, killable with any signal and
 * restartable on the same file and port (W5).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { exited, track } from "../processes.js";

/** Options of `startGobqServer`. */
export interface GobqServerOptions {
  /** The repository root, where bin/gobq.js is. */
  repoRoot: string;
  /** The directory that holds the run's DuckDB file. */
  dir: string;
  /** Store flags instead of the DuckDB file in `dir`, e.g. `--store postgres://… --store-schema s`. */
  storeArgs?: string[];
  port: number;
  /** Write a CPU profile of the server into this directory when it stops (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** How long it may take to listen. Default 30,000. */
  startTimeoutMs?: number;
}

/** A running gobq server. */
export interface GobqServer {
  readonly pid: number;
  /** The gRPC base URL, e.g. http://127.0.0.1:41234. */
  readonly baseUrl: string;
  /** Sends `signal` and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM (a graceful shutdown that writes any CPU profile), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts `gobq serve` and resolves once it listens; rejects with its stderr if it exits first. */
export async function startGobqServer(o: GobqServerOptions): Promise<GobqServer> {
  const args = [
    ...(o.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProfDir] : []),
    join(o.repoRoot, "bin", "gobq.js"),
    "serve",
    "--listen",
    `127.0.0.1:${o.port}`,
    "--http-listen",
    "off",
    ...(o.storeArgs ?? ["--store", `duckdb:${join(o.dir, "bench.duckdb")}`]),
    "--log-level",
    "warn",
  ];
  const child = track(spawn(process.execPath, args, { cwd: o.repoRoot, stdio: ["ignore", "pipe", "pipe"] }));
  let stderrTail = "";
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderrTail = `${stderrTail}${line}\n`.slice(-4000);
    process.stderr.write(`[gobq server ${child.pid}] ${line}\n`);
  });
  const lines = createInterface({ input: child.stdout! });

  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gobq serve did not listen within ${(o.startTimeoutMs ?? 30_000) / 1000} s:\n${stderrTail}`));
    }, o.startTimeoutMs ?? 30_000);
    lines.on("line", (line) => {
      const url = /^gobq listening (\S+)/.exec(line)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gobq serve exited (${signal ?? `code ${code}`}) before listening:\n${stderrTail}`));
    });
  });

  return {
    pid: child.pid!,
    baseUrl,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
