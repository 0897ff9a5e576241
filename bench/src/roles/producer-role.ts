/** A producer process: enqueues a run's jobs the way its mode says, timing from first call to last answer. */
import { nowMs, sleep } from "../clock.js";
import type { ClientSide, JobInput, Producer } from "../systems/system.js";
import type { Channel, ProducerMode, ProducerSpec } from "./messages.js";

/** Job `i` of a run: the same small payload for every queue. */
export function jobAt(i: number): JobInput {
  return { payload: { i, to: `user${i}@example.com` } };
}

type Outcome = { count: number; ids: string[] };

async function oneByOne(p: Producer, n: number, inflight: number): Promise<Outcome> {
  let next = 0;
  let count = 0;
  const lane = async () => {
    while (next < n) {
      await p.enqueue(jobAt(next++));
      count++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  return { count, ids: [] };
}

async function bulk(p: Producer, n: number, batch: number, returnIds: boolean, make = jobAt): Promise<Outcome> {
  const ids: string[] = [];
  let count = 0;
  for (let from = 0; from < n; from += batch) {
    const jobs = Array.from({ length: Math.min(batch, n - from) }, (_, k) => make(from + k));
    const got = await p.enqueueBulk(jobs);
    if (returnIds) ids.push(...got);
    count += jobs.length;
  }
  return { count, ids };
}

/** Open loop: job i is sent at start + i/rate whatever happened to earlier ones, as real traffic is. */
async function paced(p: Producer, n: number, perSecond: number, from: number, stamp: boolean): Promise<Outcome> {
  const start = nowMs();
  const pending: Promise<string>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = start + (i * 1000) / perSecond - nowMs();
    if (wait > 0.5) await sleep(wait);
    const job = jobAt(from + i);
    if (stamp) job.payload.t = nowMs();
    pending.push(p.enqueue(job));
  }
  await Promise.all(pending);
  return { count: n, ids: [] };
}

async function priority(p: Producer, low: number, high: number): Promise<Outcome> {
  const lows = await bulk(p, low, 1000, false, (i) => ({ ...jobAt(i), priority: "low" }));
  const highs = await bulk(p, high, 1000, false, (i) => ({
    payload: { ...jobAt(low + i).payload, high: true },
    priority: "high",
  }));
  return { count: lows.count + highs.count, ids: [] };
}

function run(p: Producer, mode: ProducerMode): Promise<Outcome> {
  switch (mode.kind) {
    case "one":
      return oneByOne(p, mode.n, mode.inflight);
    case "bulk":
      return bulk(p, mode.n, mode.batch, mode.returnIds);
    case "paced":
      return paced(p, mode.n, mode.perSecond, mode.from, mode.stamp);
    case "priority":
      return priority(p, mode.low, mode.high);
  }
}

/** Connects, says ready, enqueues on "go", reports `producer-done`. */
export async function runProducer(spec: ProducerSpec, client: ClientSide, channel: Channel): Promise<void> {
  const producer = await client.createProducer(spec.conn);
  await channel.send({ type: "ready" });
  await channel.waitFor("go");
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  const { count, ids } = await run(producer, spec.mode);
  const t1 = nowMs();
  const cpu = process.cpuUsage(cpu0);
  await channel.send({
    type: "producer-done",
    t0,
    t1,
    count,
    ids,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
  });
  await producer.close();
}
