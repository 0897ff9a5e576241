/**
 * One clock for every process of a run: wall-clock milliseconds with sub-millisecond
 * resolution. `performance.now()` alone is per-process; adding `timeOrigin` puts the
 * producer's and the worker's readings on one axis, so W3 can subtract them.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
