/**
 * The targets gobq must reach on this 2-core machine (issue "Benchmarks against BullMQ,
 * pg-boss and graphile-worker"), checked against gobq's medians of this run, next to the
 * best peer the issue cites and the best peer measured in this run.
 */
import type { SystemName } from "../systems/system.js";
import { DISPLAY_NAME, isPeer } from "../systems/system.js";
import { formatValue } from "./format.js";
import type { Row } from "./metrics.js";

/** One target and how it came out. */
export interface TargetResult {
  workload: string;
  /** The best peer as the issue cites it. */
  citedPeer: string;
  /** The best peer of this run on the same measure, if any ran. */
  measuredPeer: string;
  target: string;
  /** gobq's value in this run. */
  gobq: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
}

interface Target {
  workload: string;
  citedPeer: string;
  target: string;
  /** Metric ids this target reads, first one for the best-peer column. */
  metrics: string[];
  /** Whether gobq's cell values meet it. */
  check(median: (id: string) => number | undefined, worst: (id: string) => number | undefined): boolean | undefined;
  /** A chart can draw it as a line: metric id → threshold. */
  lines?: Record<string, number>;
}

const atLeast = (id: string, min: number) => (median: (id: string) => number | undefined) => {
  const v = median(id);
  return v === undefined ? undefined : v >= min;
};
const atMost = (ids: Record<string, number>) => (median: (id: string) => number | undefined) => {
  const values = Object.entries(ids).map(([id, max]) => [median(id), max] as const);
  if (values.some(([v]) => v === undefined)) return undefined;
  return values.every(([v, max]) => v! <= max);
};

/** The targets. */
export const TARGETS: readonly Target[] = [
  { workload: "W1a one call per job", citedPeer: "BullMQ 22,170/s (Redis, no persistence)", target: "≥ 30,000/s", metrics: ["w1a.rate"], check: atLeast("w1a.rate", 30_000), lines: { "w1a.rate": 30_000 } },
  { workload: "W1b bulk", citedPeer: "pg-boss 49,372/s", target: "≥ 150,000/s", metrics: ["w1b.rate"], check: atLeast("w1b.rate", 150_000), lines: { "w1b.rate": 150_000 } },
  { workload: "W2 processing", citedPeer: "BullMQ 9,551/s", target: "≥ 20,000/s", metrics: ["w2.rate"], check: atLeast("w2.rate", 20_000), lines: { "w2.rate": 20_000 } },
  {
    workload: "W3 latency p50 / p99",
    citedPeer: "BullMQ 0.68 / 3.61 ms",
    target: "≤ 1.0 / ≤ 3.0 ms",
    metrics: ["w3.p50", "w3.p99"],
    check: atMost({ "w3.p50": 1.0, "w3.p99": 3.0 }),
    lines: { "w3.p50": 1.0, "w3.p99": 3.0 },
  },
  {
    workload: "W4 priority",
    citedPeer: "BullMQ and pg-boss 0–9",
    target: "0–9 (every repetition)",
    metrics: ["w4.positions"],
    // The last HIGH job must start at position 9 at the latest, in the worst repetition.
    check: (_, worst) => {
      const v = worst("w4.positions");
      return v === undefined ? undefined : v <= 9;
    },
  },
  {
    workload: "W5 lost acknowledged",
    citedPeer: "Postgres peers: 0 by design; Redis here: all",
    target: "0, and 0 never finished (every repetition)",
    metrics: ["w5.lost", "w5.unfinished"],
    check: (_, worst) => {
      const lost = worst("w5.lost");
      const unfinished = worst("w5.unfinished");
      return lost === undefined || unfinished === undefined ? undefined : lost === 0 && unfinished === 0;
    },
  },
  { workload: "worker RSS (W2)", citedPeer: "graphile 98 MB", target: "≤ 80 MB", metrics: ["w2.workerMb"], check: atMost({ "w2.workerMb": 80 }), lines: { "w2.workerMb": 80 } },
  { workload: "server RSS at 1M queued (W6)", citedPeer: "—", target: "≤ 600 MB", metrics: ["w6.serverMb"], check: atMost({ "w6.serverMb": 600 }) },
];

/** Target lines for the chart: metric id → threshold. */
export const TARGET_LINES: Readonly<Record<string, number>> = Object.assign({}, ...TARGETS.map((t) => t.lines ?? {}));

/** Each target checked against this run's rows. */
export function checkTargets(rows: readonly Row[]): TargetResult[] {
  const row = (id: string) => rows.find((r) => r.metric.id === id);
  const median = (id: string) => row(id)?.cells.gobq?.spread?.median;
  const worst = (id: string) => {
    const r = row(id);
    const s = r?.cells.gobq?.spread;
    if (!r || !s) return undefined;
    return r.metric.better === "higher" ? s.min : s.max;
  };
  return TARGETS.map((t) => {
    const shown = t.metrics.map((id) => row(id));
    const gobq = shown.map((r) => r?.cells.gobq?.text ?? "not measured").join(" / ");
    return {
      workload: t.workload,
      citedPeer: t.citedPeer,
      measuredPeer: shown.map((r) => (r ? bestPeer(r) : "—")).join(" / "),
      target: t.target,
      gobq,
      met: t.check(median, worst),
    };
  });
}

/** The best peer median of a row, e.g. "BullMQ 9,431". */
function bestPeer(row: Row): string {
  let best: { system: SystemName; median: number } | undefined;
  for (const [system, cell] of Object.entries(row.cells) as [SystemName, Row["cells"][SystemName]][]) {
    if (!isPeer(system) || !cell?.spread) continue;
    const m = cell.spread.median;
    if (!best || (row.metric.better === "higher" ? m > best.median : m < best.median)) best = { system, median: m };
  }
  if (!best) return "—";
  const cell = row.cells[best.system]!;
  return `${DISPLAY_NAME[best.system]} ${row.metric.show ? cell.text : formatValue(best.median, row.metric.unit)}`;
}
