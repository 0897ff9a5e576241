/**
 * How a worker waits out a server that is away: delays that grow exponentially with
 * jitter, a sleep that stop() can cut short, and an outage that is logged once when it
 * starts and once when it ends — not once per failed call.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { isRetryable } from "./errors.js";

/** Where the Worker writes what its user should know; one line per call. */
export interface WorkerLog {
  warn(message: string): void;
  error(message: string): void;
}

/** Successive waits between attempts; `reset` after a success. */
export interface Backoff {
  next(): number;
  reset(): void;
}

/**
 * Waits that double from `initialMs` up to `maxMs`. Each is drawn from [d/2, d] ("equal
 * jitter"), so that workers cut off together do not all come back in the same instant.
 */
export function createBackoff(initialMs = 100, maxMs = 10_000, random: () => number = Math.random): Backoff {
  let ceiling = initialMs;
  return {
    next() {
      const d = ceiling;
      ceiling = Math.min(ceiling * 2, maxMs);
      return Math.round(d / 2 + (random() * d) / 2);
    },
    reset() {
      ceiling = initialMs;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Reports failures of one kind of call: once per outage, and once when it is over. */
export interface OutageReporter {
  failed(err: unknown): void;
  recovered(): void;
}

/** One line for an error: its code name and message for a ConnectError. */
export function describeError(err: unknown): string {
  if (err instanceof ConnectError) return `${Code[err.code] ?? err.code}: ${err.rawMessage}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * An OutageReporter for `what` (e.g. "leasing from http://…"). A failure that retrying
 * cannot fix (bad credentials, a bad option) is logged as an error, the rest as a warning.
 */
export function createOutageReporter(log: WorkerLog, what: string, now: () => number = Date.now): OutageReporter {
  let since: number | undefined;
  return {
    failed(err) {
      if (since !== undefined) return;
      since = now();
      const line = `${what} failed (${describeError(err)}); retrying with backoff until it works`;
      if (isRetryable(err)) log.warn(line);
      else log.error(line);
    },
    recovered() {
      if (since === undefined) return;
      log.warn(`${what} works again after ${((now() - since) / 1000).toFixed(1)} s`);
      since = undefined;
    },
  };
}
