/**
 * Batching of a worker's acks. Completes (and, separately, fails) that finish in the same
 * tick travel as one CompleteTasks (FailTasks) call; a lone one uses CompleteTask
 * (FailTask). The server answers one result per item, so one item's refusal (LEASE_LOST,
 * a result too large) never affects the others.
 *
 * A call the server may accept later (it is away, busy or restarting) is sent again with
 * backoff, for as long as the lease of at least one item would still hold: after that the
 * server has given the task to another attempt, and the ack could only be refused.
 */
import { ConnectError } from "@connectrpc/connect";
import { isRetryable, reasonOf } from "./errors.js";
import { createBackoff, describeError, sleep } from "./worker-backoff.js";

/** What became of one ack: accepted, or refused with the server's stable reason. */
export type AckOutcome = { ok: true } | { ok: false; reason: string; message: string };

/** What the server answered for one ack of a batch: `errorReason` is empty if accepted. */
interface AckResult {
  errorReason: string;
  errorMessage: string;
}

/** Sends acks of one kind: `one` for a lone ack (it throws if refused), `many` for a batch. */
export interface AckSender<R> {
  one(req: R): Promise<unknown>;
  many(reqs: R[]): Promise<AckResult[]>;
}

interface Queued<R> {
  req: R;
  /** Epoch ms after which the lease no longer holds. */
  leaseUntil: number;
  resolve: (outcome: AckOutcome) => void;
}

const ACCEPTED: AckOutcome = { ok: true };
/** The server takes at most this many acks per call. */
const MAX_BATCH = 1000;

/** The reason given to an ack that could not be delivered while its lease held. */
export const UNDELIVERED = "UNDELIVERED";

/** Collects acks of one kind and sends them in batches; see the module comment. */
export class AckBatcher<R> {
  private queue: Array<Queued<R>> = [];
  private scheduled = false;

  constructor(private readonly send: AckSender<R>) {}

  /** Queues one ack; resolves with its outcome (it never rejects). */
  add(req: R, leaseUntil: number): Promise<AckOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ req, leaseUntil, resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) void this.deliver(this.queue.splice(0, MAX_BATCH));
  }

  private async deliver(batch: Array<Queued<R>>): Promise<void> {
    const backoff = createBackoff();
    for (;;) {
      try {
        if (batch.length === 1) {
          await this.send.one(batch[0]!.req);
          batch[0]!.resolve(ACCEPTED);
        } else {
          const results = await this.send.many(batch.map((q) => q.req));
          batch.forEach((q, i) => q.resolve(outcomeOf(results[i])));
        }
        return;
      } catch (err) {
        if (!isRetryable(err)) {
          const refused = refusal(err);
          for (const q of batch) q.resolve(refused);
          return;
        }
        const waitMs = backoff.next();
        const retryAt = Date.now() + waitMs;
        const late = batch.filter((q) => q.leaseUntil <= retryAt);
        const message = `not delivered before the lease ran out (${describeError(err)})`;
        for (const q of late) q.resolve({ ok: false, reason: UNDELIVERED, message });
        batch = batch.filter((q) => q.leaseUntil > retryAt);
        if (batch.length === 0) return;
        await sleep(waitMs);
      }
    }
  }
}

function outcomeOf(r: AckResult | undefined): AckOutcome {
  if (r === undefined) return { ok: false, reason: "INTERNAL", message: "the server answered no result for this ack" };
  return r.errorReason === "" ? ACCEPTED : { ok: false, reason: r.errorReason, message: r.errorMessage };
}

function refusal(err: unknown): AckOutcome {
  const reason = reasonOf(err) ?? (err instanceof ConnectError ? "CONNECT_ERROR" : "ERROR");
  return { ok: false, reason, message: describeError(err) };
}
