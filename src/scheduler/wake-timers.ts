/** One timer per key, armed for the earliest time asked for: what waits for a rate token uses it. */
import type { Clock } from "./clock.js";

/** See the module comment. */
export class WakeTimers {
  private readonly armed = new Map<string, { at: number; handle: unknown }>();
  private stopped = false;

  /** `fire(key)` runs once at the earliest time asked for the key since it last ran. */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (key: string) => void,
  ) {}

  /** Makes sure `fire(key)` runs at `at` or earlier. */
  at(key: string, at: number): void {
    const armed = this.armed.get(key);
    if (this.stopped || (armed !== undefined && armed.at <= at)) return;
    if (armed) this.clock.clearTimer(armed.handle);
    const handle = this.clock.setTimer(
      () => {
        this.armed.delete(key);
        this.fire(key);
      },
      Math.max(0, at - this.clock.now()),
    );
    this.armed.set(key, { at, handle });
  }

  /** Cancels every timer; later calls arm none. */
  stop(): void {
    this.stopped = true;
    for (const { handle } of this.armed.values()) this.clock.clearTimer(handle);
    this.armed.clear();
  }
}
