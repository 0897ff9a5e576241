/** A compose service's command run as a host process: output kept, stopped even when a test fails. */
import { type ChildProcess, spawn } from "node:child_process";

/** A started process. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string>;
  /** Resolves with the first match of `re` in stdout; rejects if the process exits first or `timeoutMs` passes. */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Starts `argv` with exactly `env`, in `cwd`. */
export function spawnService(name: string, argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ServiceProcess {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (d) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr!.on("data", (d) => (err += d));
  // "close", not "exit": the output may still be arriving when the process exits.
  const exited = new Promise<number | string>((resolve) => {
    child.on("error", (e) => {
      err += `${e.message}\n`;
      resolve(-1);
    });
    child.on("close", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const describe = () => `${name} (${argv.join(" ")}); stdout: ${out.slice(-2000)}; stderr: ${err.slice(-2000)}`;
  return {
    name,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const check = () => {
          const m = re.exec(out);
          if (!m) return;
          done();
          resolve(m);
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        timer = setTimeout(() => {
          done();
          reject(new Error(`no ${re} from ${describe()}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then((how) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`exited (${how}) before printing ${re}: ${describe()}`));
        });
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const how = await exited;
      clearTimeout(timer);
      return how;
    },
  };
}

/** Runs `argv` to its end; rejects with its output if it takes longer than `timeoutMs`. */
export async function runToEnd(
  name: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnService(name, argv, env, cwd);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill("SIGKILL");
      reject(new Error(`${name} (${argv.join(" ")}) did not finish in ${timeoutMs} ms; stdout: ${p.stdout()}; stderr: ${p.stderr()}`));
    }, timeoutMs);
  });
  try {
    const code = await Promise.race([p.exited, timedOut]);
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
