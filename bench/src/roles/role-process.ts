/**
 * The harness's handle on one child process (producer, worker or baseline): start it,
 * wait for its messages with a deadline, tell it to go or stop. A child that dies, or
 * reports an error, fails every wait at once with what it said.
 */
import { fork, type ChildProcess } from "node:child_process";
import { exited, track } from "../processes.js";
import type { ChildMessage, ParentMessage, RoleSpec } from "./messages.js";

/** Options of `startRole`. */
export interface StartRoleOptions {
  /** The bundled child entry point (`bundleChild`). */
  entry: string;
  /** Write a CPU profile of the child into this directory (`node --cpu-prof`). */
  cpuProfDir?: string;
}

/** A running child process of the harness. */
export interface RoleProcess {
  readonly pid: number;
  /** The next message of `type`; rejects after `timeoutMs`, or when the child fails or exits. */
  next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>>;
  send(message: ParentMessage): void;
  /** Lets it end by itself (a CPU profile is written at exit) for up to `graceMs`, then kills it. */
  exit(graceMs: number): Promise<void>;
  /** SIGKILL, then resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts a child process playing `spec`. */
export function startRole(spec: RoleSpec, options: StartRoleOptions): RoleProcess {
  const execArgv = options.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir] : [];
  const child: ChildProcess = track(
    fork(options.entry, [JSON.stringify(spec)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const label = spec.role === "baseline" ? "baseline" : `${spec.system} ${spec.role}`;
  const inbox: ChildMessage[] = [];
  const waiters = new Set<{ type: string; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  let failure: Error | undefined;

  const fail = (err: Error) => {
    failure ??= err;
    for (const w of waiters) w.reject(failure);
    waiters.clear();
  };
  child.on("message", (raw) => {
    const message = raw as ChildMessage;
    if (message.type === "error") return fail(new Error(`${label} process failed: ${message.message}`));
    for (const w of waiters) {
      if (w.type === message.type) {
        waiters.delete(w);
        return w.resolve(message);
      }
    }
    inbox.push(message);
  });
  child.once("exit", (code, signal) => fail(new Error(`${label} process exited (${signal ?? `code ${code}`}) before it was done`)));
  child.once("error", (err) => fail(new Error(`${label} process could not run: ${err.message}`)));

  return {
    pid: child.pid ?? -1,
    next(type, timeoutMs) {
      const queued = inbox.findIndex((m) => m.type === type);
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0] as never);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${label}: no "${type}" within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        const waiter = {
          type,
          resolve: (m: ChildMessage) => {
            clearTimeout(timer);
            resolve(m as never);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(waiter);
      });
    },
    send(message) {
      if (child.connected) child.send(message);
    },
    async exit(graceMs) {
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited(child);
    },
  };
}
