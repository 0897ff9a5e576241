/** W6: the gobq server's peak RSS with a million small jobs queued (bulk-enqueued, no worker). */
import { memoryKb } from "../proc-stats.js";
import { pct, produce } from "./phases.js";
import { withGobqRun } from "./gobq-only.js";
import { mb, type Workload } from "./workload.js";

/** W6. */
export const w6: Workload = {
  id: "w6",
  title: "W6 server memory",
  description: (s) =>
    `${s.memoryJobs.toLocaleString("en")} small jobs bulk-enqueued (calls of ${s.batch.toLocaleString("en")}) into a fresh gobq server, no worker; ` +
    "then the server's peak RSS is read from /proc/<pid>/status (VmHWM). gobq only: the peers' memory lives in Redis or PostgreSQL.",
  gobqOnly: true,
  run: (ctx) =>
    withGobqRun(ctx, async (run) => {
      const n = ctx.sizes.memoryJobs;
      const done = await produce(ctx, run, { kind: "bulk", n, batch: ctx.sizes.batch, returnIds: false });
      const memory = memoryKb(run.server.pid);
      const wall = done.t1 - done.t0;
      const problems: string[] = [];
      if (done.count !== n) problems.push(`${done.count} of ${n} enqueues acknowledged`);
      if (!memory) problems.push("the server was gone before its memory could be read");
      return {
        elapsedMs: wall,
        jobsPerSec: (done.count / wall) * 1000,
        serverPeakMb: mb(memory?.peakKb),
        producerPeakMb: mb(done.maxRssKb),
        cpuPct: { producer: pct(done.cpuMs, wall), server: done.cpu.server, machine: done.cpu.machine },
        problems,
      };
    }),
};
