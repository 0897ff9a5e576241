/** W3: an idle worker; jobs enqueued one by one at a fixed rate; enqueue → handler start. */
import { sleep } from "../clock.js";
import { percentileSorted } from "../stats.js";
import { cpuWindow, pct, produce, readyWorker, stopWorker, withPrepared } from "./phases.js";
import { mb, type Workload } from "./workload.js";

/** How long the worker sits idle before the first job, so that it is waiting, not starting up. */
const IDLE_MS = 1000;

/** W3. */
export const w3: Workload = {
  id: "w3",
  title: "W3 latency",
  description: (s) =>
    `A worker process (concurrency ${s.concurrency}) and a producer process first run ${s.latencyWarmup} warm-up jobs at the same rate, not measured, so that every system is measured warm, as a running deployment is; ` +
    `the worker then idles for ${IDLE_MS / 1000} s; then the producer enqueues ${s.latencyJobs.toLocaleString("en")} jobs one by one at ${s.latencyPerSecond}/s ` +
    "(open loop: each is sent on schedule, whatever happened to earlier ones). Latency: the producer stamps each payload just before its enqueue call, the handler subtracts that from " +
    "its own start time, both with `performance.timeOrigin + performance.now()`; so it includes the enqueue round trip.",
  gobqOnly: false,
  run: (ctx) =>
    withPrepared(ctx, async (prepared) => {
      const n = ctx.sizes.latencyJobs;
      const warm = ctx.sizes.latencyWarmup;
      const perSecond = ctx.sizes.latencyPerSecond;
      // Warm-up jobs carry no send time: the worker counts them but records no latency.
      const worker = await readyWorker(ctx, prepared, { expect: warm + n, latency: true });
      try {
        worker.send({ type: "go" });
        await worker.next("started", 60_000);
        await produce(ctx, prepared, { kind: "paced", n: warm, perSecond, from: 0, stamp: false });
        await sleep(IDLE_MS);
        const window = cpuWindow(prepared);
        const produced = await produce(ctx, prepared, { kind: "paced", n, perSecond, from: warm, stamp: true });
        const handled = await worker.next("handled-all", ctx.phaseMs);
        const wall = handled.at - produced.t0;
        const cpu = window.end();
        const done = await stopWorker(worker);
        const sorted = done.latenciesMs.sort((a, b) => a - b);
        const duplicates = done.runs - done.distinct;
        const problems: string[] = [];
        if (sorted.length !== n) problems.push(`${sorted.length} of ${n} latencies recorded`);
        if (duplicates > 0) problems.push(`${duplicates} duplicate runs`);
        return {
          elapsedMs: wall,
          latencyMs: {
            p50: percentileSorted(sorted, 50) ?? NaN,
            p95: percentileSorted(sorted, 95) ?? NaN,
            p99: percentileSorted(sorted, 99) ?? NaN,
            max: sorted[sorted.length - 1] ?? NaN,
          },
          duplicates,
          workerPeakMb: mb(done.maxRssKb),
          producerPeakMb: mb(produced.maxRssKb),
          serverPeakMb: mb(prepared.serverPeakKb()),
          cpuPct: { producer: pct(produced.cpuMs, produced.t1 - produced.t0), server: cpu.server, machine: cpu.machine },
          problems,
        };
      } finally {
        await worker.kill();
      }
    }),
};
