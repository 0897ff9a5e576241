/** The retention period: finished tasks are purged this long after they finish, checked hourly. */
import type { Clock } from "./clock.js";

const RETENTION_CHECK_MS = 3_600_000;

/** What the retention check needs of its scheduler. */
export interface RetentionOptions {
  clock: Clock;
  /** 0 keeps finished tasks forever. */
  retentionMs: number;
  /** Deletes finished tasks older than this; resolves with how many. */
  purge(olderThanMs: number): Promise<number>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Purges hourly until `stop`; see the module comment. */
export class Retention {
  private timer: unknown;
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    if (this.o.retentionMs <= 0 || this.stopped) return;
    this.timer = this.o.clock.setTimer(() => {
      this.o
        .purge(this.o.retentionMs)
        .then((deleted) => deleted > 0 && this.o.log.info({ deleted }, "retention: purged finished tasks"))
        .catch((err: unknown) => this.o.log.error({ err }, "retention purge failed"))
        .finally(() => this.start());
    }, RETENTION_CHECK_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
  }
}
