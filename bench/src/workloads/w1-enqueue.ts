/** W1: how fast a producer process can enqueue — (a) one call per job with 64 in flight, (b) bulk calls of 1,000. */
import { mb, type RunMetrics, type Workload, type WorkloadContext } from "./workload.js";
import { pct, produce, withPrepared } from "./phases.js";
import type { ProducerMode } from "../roles/messages.js";

async function enqueueRun(ctx: WorkloadContext, mode: ProducerMode): Promise<RunMetrics> {
  const n = ctx.sizes.n;
  return withPrepared(ctx, async (prepared) => {
    const done = await produce(ctx, prepared, mode);
    const wall = done.t1 - done.t0;
    return {
      elapsedMs: wall,
      jobsPerSec: (done.count / wall) * 1000,
      producerPeakMb: mb(done.maxRssKb),
      serverPeakMb: mb(prepared.serverPeakKb()),
      cpuPct: { producer: pct(done.cpuMs, wall), server: done.cpu.server, machine: done.cpu.machine },
      problems: done.count === n ? [] : [`${done.count} of ${n} enqueues acknowledged`],
    };
  });
}

/** W1a: one enqueue call per job, 64 calls in flight. */
export const w1a: Workload = {
  id: "w1a",
  title: "W1a enqueue, one call per job",
  description: (s) =>
    `${s.n.toLocaleString("en")} jobs, one enqueue call per job with ${s.inflight} calls in flight, from one producer process; jobs/s from first call to last answer.`,
  gobqOnly: false,
  run: (ctx) => enqueueRun(ctx, { kind: "one", n: ctx.sizes.n, inflight: ctx.sizes.inflight }),
};

/** W1b: sequential bulk calls of 1,000 jobs. */
export const w1b: Workload = {
  id: "w1b",
  title: "W1b enqueue, bulk",
  description: (s) =>
    `${s.n.toLocaleString("en")} jobs in sequential bulk calls of ${s.batch.toLocaleString("en")}, from one producer process.`,
  gobqOnly: false,
  run: (ctx) => enqueueRun(ctx, { kind: "bulk", n: ctx.sizes.n, batch: ctx.sizes.batch, returnIds: false }),
};
