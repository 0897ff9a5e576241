/** W2: N jobs queued, then a worker process at concurrency 32 with a no-op handler; time until all are finished. */
import { allFinishedAt, cpuWindow, pct, produce, readyWorker, stopWorker, withPrepared } from "./phases.js";
import { mb, type Workload } from "./workload.js";

/** W2. */
export const w2: Workload = {
  id: "w2",
  title: "W2 processing",
  description: (s) =>
    `${s.n.toLocaleString("en")} jobs queued (bulk, untimed), then a worker process at concurrency ${s.concurrency} with a no-op handler is started; ` +
    "jobs/s from its start until the queue reports every job finished (completed and acknowledged). The worker's peak RSS is `process.resourceUsage().maxRSS`.",
  gobqOnly: false,
  run: (ctx) =>
    withPrepared(ctx, async (prepared) => {
      const n = ctx.sizes.n;
      const filled = await produce(ctx, prepared, { kind: "bulk", n, batch: ctx.sizes.batch, returnIds: false });
      const worker = await readyWorker(ctx, prepared, { expect: n });
      try {
        const window = cpuWindow(prepared);
        worker.send({ type: "go" });
        const started = await worker.next("started", 60_000);
        const handled = await worker.next("handled-all", ctx.phaseMs);
        const end = await allFinishedAt(prepared, n, 60_000);
        const cpu = window.end();
        const serverPeakKb = prepared.serverPeakKb();
        const done = await stopWorker(worker);
        const wall = end - started.at;
        const duplicates = done.runs - done.distinct;
        const problems: string[] = [];
        if (filled.count !== n) problems.push(`${filled.count} of ${n} enqueues acknowledged`);
        if (done.distinct !== n) problems.push(`${done.distinct} of ${n} jobs ran`);
        if (duplicates > 0) problems.push(`${duplicates} duplicate runs`);
        return {
          elapsedMs: wall,
          jobsPerSec: (n / wall) * 1000,
          duplicates,
          workerPeakMb: mb(done.maxRssKb),
          serverPeakMb: mb(serverPeakKb),
          cpuPct: { worker: pct(handled.cpuMs, handled.at - started.at), server: cpu.server, machine: cpu.machine },
          problems,
        };
      } finally {
        await worker.kill();
      }
    }),
};
