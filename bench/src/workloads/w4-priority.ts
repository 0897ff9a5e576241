/** W4: LOW jobs then a few HIGH ones queued with no worker; where do the HIGH ones start once a worker comes? */
import { produce, readyWorker, stopWorker, withPrepared } from "./phases.js";
import { mb, type Workload } from "./workload.js";

/** W4. */
export const w4: Workload = {
  id: "w4",
  title: "W4 priority",
  description: (s) =>
    `${s.priorityLow.toLocaleString("en")} LOW jobs, then ${s.priorityHigh} HIGH jobs, queued with no worker running; then a worker process at concurrency ${s.concurrency} starts. ` +
    `Reported: the 0-based start positions of the HIGH jobs among all handler starts (0–${s.priorityHigh - 1} is perfect).`,
  gobqOnly: false,
  run: (ctx) =>
    withPrepared(ctx, async (prepared) => {
      const { priorityLow: low, priorityHigh: high } = ctx.sizes;
      const filled = await produce(ctx, prepared, { kind: "priority", low, high });
      const worker = await readyWorker(ctx, prepared, { expect: low + high, order: true });
      try {
        worker.send({ type: "go" });
        const started = await worker.next("started", 60_000);
        const handled = await worker.next("handled-all", ctx.phaseMs);
        const done = await stopWorker(worker);
        const duplicates = done.runs - done.distinct;
        const problems: string[] = [];
        if (filled.count !== low + high) problems.push(`${filled.count} of ${low + high} enqueues acknowledged`);
        if (done.highPositions.length !== high) problems.push(`${done.highPositions.length} of ${high} HIGH jobs ran`);
        if (duplicates > 0) problems.push(`${duplicates} duplicate runs`);
        return {
          elapsedMs: handled.at - started.at,
          highPositions: [...done.highPositions].sort((a, b) => a - b),
          duplicates,
          workerPeakMb: mb(done.maxRssKb),
          problems,
        };
      } finally {
        await worker.kill();
      }
    }),
};
