/**
 * W5: W2, but the gobq server is SIGKILLed when half the jobs have run and restarted on the
 * same file; the worker carries on by itself. Counted afterwards, through the API: jobs
 * whose enqueue was acknowledged but which the store no longer has (lost), and those not
 * finished when the run stops waiting (never finished).
 */
import { nowMs } from "../clock.js";
import { allFinishedAt, produce, readyWorker, stopWorker } from "./phases.js";
import { withGobqRun } from "./gobq-only.js";
import { mb, type Workload } from "./workload.js";

/** How long after the restart the jobs get to finish: beyond the 30 s lease, so that an attempt cut by the crash can be leased again. */
const SETTLE_MS = 75_000;

/** W5. */
export const w5: Workload = {
  id: "w5",
  title: "W5 durability (SIGKILL)",
  description: (s) =>
    `As W2 (${s.n.toLocaleString("en")} jobs), but the gobq server gets SIGKILL once the worker has run half of them, and is restarted on the same DuckDB file and port; ` +
    `the worker reconnects by itself. Afterwards every task is read back through ListTasks: acknowledged enqueues missing from the store are *lost*; those not SUCCESS within ${SETTLE_MS / 1000} s of the restart are *never finished*. ` +
    "For the peers the durability their store was configured with is stated instead.",
  gobqOnly: true,
  // On PostgreSQL, one replica is killed (the only one, or the first of three) and restarted.
  gobqSystems: ["gobq", "gobq-pg", "gobq-pg3"],
  run: (ctx) =>
    withGobqRun(ctx, async (run) => {
      const n = ctx.sizes.n;
      const filled = await produce(ctx, run, { kind: "bulk", n, batch: ctx.sizes.batch, returnIds: true });
      const worker = await readyWorker(ctx, run, { expect: n, halfAt: Math.floor(n / 2) });
      try {
        worker.send({ type: "go" });
        const started = await worker.next("started", 60_000);
        await worker.next("half", ctx.phaseMs);
        await run.crash();
        const restartMs = await run.restart();
        const problems: string[] = [];
        let end: number;
        try {
          await worker.next("handled-all", SETTLE_MS);
          end = await allFinishedAt(run, n, SETTLE_MS);
        } catch (err) {
          // Not a harness failure: what did not finish is what this workload counts.
          problems.push(err instanceof Error ? err.message : String(err));
          end = nowMs();
        }
        const statuses = await run.statuses();
        const lost = filled.ids.filter((id) => !statuses.has(id)).length;
        const neverFinished = filled.ids.filter((id) => statuses.has(id) && statuses.get(id) !== "success").length;
        const done = await stopWorker(worker);
        if (filled.ids.length !== n) problems.push(`${filled.ids.length} of ${n} enqueues acknowledged`);
        return {
          elapsedMs: end - started.at,
          jobsPerSec: (n / (end - started.at)) * 1000,
          lost,
          neverFinished,
          restartMs,
          duplicates: done.runs - done.distinct,
          workerPeakMb: mb(done.maxRssKb),
          problems,
        };
      } finally {
        await worker.kill();
      }
    }),
};
