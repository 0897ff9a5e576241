/**
 * A worker process: runs a queue's worker with a no-op handler that only records what a
 * run needs — each job id (to count duplicate runs), and for W3 and W4 the latency or the
 * start position. Recording is a few array and map operations: it costs every queue alike.
 */
import { nowMs } from "../clock.js";
import type { ClientSide, ReceivedJob } from "../systems/system.js";
import type { Channel, WorkerSpec } from "./messages.js";

/** Connects, says ready, starts on "go", reports progress, stops and reports on "stop". */
export async function runWorker(spec: WorkerSpec, client: ClientSide, channel: Channel): Promise<void> {
  const seen = new Map<string, number>();
  const latenciesMs: number[] = [];
  const highPositions: number[] = [];
  let runs = 0;
  let cpu0 = process.cpuUsage();

  const onJob = (job: ReceivedJob) => {
    const at = nowMs();
    const position = runs++;
    const before = seen.get(job.id) ?? 0;
    seen.set(job.id, before + 1);
    if (before > 0) return;
    if (spec.latency && job.payload.t !== undefined) latenciesMs.push(at - job.payload.t);
    if (spec.order && job.payload.high) highPositions.push(position);
    if (seen.size === spec.halfAt) void channel.send({ type: "half", at });
    if (seen.size === spec.expect) {
      const cpu = process.cpuUsage(cpu0);
      void channel.send({ type: "handled-all", at, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  };

  const worker = await client.createWorker(spec.conn, { concurrency: spec.concurrency, onJob });
  await channel.send({ type: "ready" });
  await channel.waitFor("go");
  cpu0 = process.cpuUsage();
  const startedAt = nowMs();
  await worker.start();
  await channel.send({ type: "started", at: startedAt });
  await channel.waitFor("stop");
  await worker.stop();
  await channel.send({
    type: "worker-done",
    runs,
    distinct: seen.size,
    latenciesMs,
    highPositions,
    maxRssKb: process.resourceUsage().maxRSS,
  });
}
