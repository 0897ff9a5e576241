/**
 * Every process the harness starts is registered here, so that all of them die with the
 * harness: on normal exit, on an error, and on Ctrl-C or SIGTERM. Children are killed with
 * SIGKILL: a benchmark process has nothing to save, and a hung one must not outlive the run.
 * Temporary directories (gobq's DuckDB files) are registered too, and deleted with them.
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { constants } from "node:os";

const live = new Set<ChildProcess>();
const scratch = new Set<string>();

/** Registers a temporary directory to delete if the harness ends before its owner does. */
export function trackDir(dir: string): void {
  scratch.add(dir);
}

/** Its owner deleted it. */
export function untrackDir(dir: string): void {
  scratch.delete(dir);
}

/** Registers a child so that `killAll` reaches it; returns it. */
export function track<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Sends SIGKILL to every registered child that is still running, and deletes registered directories. */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }
  for (const dir of scratch) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A file still held open by a dying process: it is in the OS temp dir anyway.
    }
  }
  scratch.clear();
}

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Installs the handlers that kill every child when the harness ends, however it ends. */
export function killChildrenOnExit(): void {
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: killing every process this run started\n`);
      killAll();
      process.exit(128 + constants.signals[signal]);
    });
  }
}
