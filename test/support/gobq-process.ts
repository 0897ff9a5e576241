/** Runs `gobq serve` as a child process, the way users run it, and stops it even when a test fails. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/gobq.js", import.meta.url));

/** A running `gobq serve`. */
export interface GobqProcess {
  child: ChildProcess;
  /** HTTP/2 URL (gRPC, Connect). */
  url: string;
  /** HTTP/1.1 URL (Connect JSON). */
  httpUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends a signal and waits for the exit; resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = "gobq-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `gobq` with arguments (and `env` added to this process's) to completion; for commands that should fail fast. */
export function runGobq(
  args: string[],
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gobq ${args.join(" ")} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    // "close", not "exit": stdout and stderr may still hold output when the process exits.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `gobq serve` on free ports with the given store and waits until it listens. */
export function startGobq(store: string, extra: string[] = []): Promise<GobqProcess> {
  const args = [BIN, "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--store", store, ...extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gobq serve did not start in time; stderr: ${err}`));
    }, 20_000);
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`gobq serve exited before listening; stderr: ${err}`));
    });
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /gobq listening (\S+) (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        url: m[1]!,
        httpUrl: m[2]!,
        stdout: () => out,
        stderr: () => err,
        stop(signal = "SIGTERM") {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}
