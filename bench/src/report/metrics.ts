/**
 * The rows of the results table: which number of which workload, which way is better, and
 * how the repetitions of each system sum up (median, min–max) next to gobq's ratio to
 * each peer.
 */
import { spreadOf, type Spread } from "../stats.js";
import { SYSTEM_NAMES, isPeer, type SystemName } from "../systems/system.js";
import type { RunMetrics, RunRecord, WorkloadId } from "../workloads/workload.js";
import { formatPositions, formatSpread, oneLine } from "./format.js";

/** One row of the results table. */
export interface MetricSpec {
  id: string;
  workload: WorkloadId;
  label: string;
  unit: string;
  better: "higher" | "lower";
  value(m: RunMetrics): number | undefined;
  /** Whether gobq/peer ratios mean something for it. */
  ratio: boolean;
  /** A cell's text when median (min–max) does not fit. */
  show?(runs: readonly RunMetrics[]): string;
}

const lat = (k: "p50" | "p95" | "p99" | "max") => (m: RunMetrics) => m.latencyMs?.[k];

/** The rows, in table order. */
export const METRICS: readonly MetricSpec[] = [
  { id: "w1a.rate", workload: "w1a", label: "W1a enqueue, one call per job", unit: "jobs/s", better: "higher", ratio: true, value: (m) => m.jobsPerSec },
  { id: "w1b.rate", workload: "w1b", label: "W1b enqueue, bulk 1,000 per call", unit: "jobs/s", better: "higher", ratio: true, value: (m) => m.jobsPerSec },
  { id: "w2.rate", workload: "w2", label: "W2 processing, concurrency 32", unit: "jobs/s", better: "higher", ratio: true, value: (m) => m.jobsPerSec },
  { id: "w2.workerMb", workload: "w2", label: "W2 worker peak RSS", unit: "MB", better: "lower", ratio: true, value: (m) => m.workerPeakMb },
  { id: "w3.p50", workload: "w3", label: "W3 latency p50", unit: "ms", better: "lower", ratio: true, value: lat("p50") },
  { id: "w3.p95", workload: "w3", label: "W3 latency p95", unit: "ms", better: "lower", ratio: true, value: lat("p95") },
  { id: "w3.p99", workload: "w3", label: "W3 latency p99", unit: "ms", better: "lower", ratio: true, value: lat("p99") },
  { id: "w3.max", workload: "w3", label: "W3 latency max", unit: "ms", better: "lower", ratio: true, value: lat("max") },
  {
    id: "w4.positions",
    workload: "w4",
    label: "W4 start positions of the HIGH jobs",
    unit: "",
    better: "lower",
    ratio: false,
    value: (m) => (m.highPositions?.length ? Math.max(...m.highPositions) : undefined),
    show: (runs) => {
      const each = runs.map((m) => formatPositions(m.highPositions ?? []));
      return new Set(each).size === 1 ? each[0]! : each.join(" / ");
    },
  },
  { id: "w5.lost", workload: "w5", label: "W5 acknowledged jobs lost", unit: "jobs", better: "lower", ratio: false, value: (m) => m.lost },
  { id: "w5.unfinished", workload: "w5", label: "W5 jobs never finished", unit: "jobs", better: "lower", ratio: false, value: (m) => m.neverFinished },
  { id: "w5.rate", workload: "w5", label: "W5 processing across the crash", unit: "jobs/s", better: "higher", ratio: false, value: (m) => m.jobsPerSec },
  { id: "w6.serverMb", workload: "w6", label: "W6 server peak RSS, jobs queued", unit: "MB", better: "lower", ratio: false, value: (m) => m.serverPeakMb },
];

/** One system's cell in one row. */
export interface Cell {
  status: "ok" | "not run" | "failed" | "n/a";
  spread?: Spread;
  text: string;
}

/** One row with its cells and ratios. */
export interface Row {
  metric: MetricSpec;
  cells: Partial<Record<SystemName, Cell>>;
  /** gobq median / peer median. */
  ratios: Partial<Record<SystemName, number>>;
}

/** What the summary needs to know about each system besides its runs. */
export interface SystemState {
  /** Why it did not run at all, if it did not. */
  notRun?: string;
}

/** The cell of `system` for `metric`, from its runs of that workload. */
function cellOf(metric: MetricSpec, records: readonly RunRecord[], state: SystemState | undefined, gobqOnly: boolean, system: SystemName): Cell {
  if (state?.notRun) return { status: "not run", text: "not run" };
  if (records.length === 0) return { status: "n/a", text: gobqOnly && isPeer(system) ? "n/a (gobq only)" : "—" };
  const ok = records.filter((r) => r.ok && r.metrics);
  if (ok.length === 0) return { status: "failed", text: `failed: ${oneLine(records[0]?.error ?? "?", 60)}` };
  const runs = ok.map((r) => r.metrics!);
  const values = runs.map((m) => metric.value(m)).filter((v): v is number => v !== undefined);
  const spread = spreadOf(values);
  if (!spread) return { status: "n/a", text: "—" };
  let text = metric.show ? metric.show(runs) : formatSpread(spread, metric.unit);
  if (ok.length < records.length) text += ` (${records.length - ok.length} of ${records.length} runs failed)`;
  return { status: "ok", spread, text };
}

/** The results table for `systems`, from every run record. */
export function summarize(
  records: readonly RunRecord[],
  systems: readonly SystemName[],
  states: Partial<Record<SystemName, SystemState>>,
  gobqOnly: (w: WorkloadId) => boolean,
): Row[] {
  const ran = new Set(records.map((r) => r.workload));
  return METRICS.filter((m) => ran.has(m.workload)).map((metric) => {
    const cells: Row["cells"] = {};
    for (const system of systems) {
      const mine = records.filter((r) => r.workload === metric.workload && r.system === system);
      cells[system] = cellOf(metric, mine, states[system], gobqOnly(metric.workload), system);
    }
    const ratios: Row["ratios"] = {};
    const gobq = cells.gobq?.spread?.median;
    if (metric.ratio && gobq !== undefined) {
      for (const peer of systems.filter(isPeer)) {
        const theirs = cells[peer]?.spread?.median;
        if (theirs) ratios[peer] = gobq / theirs;
      }
    }
    return { metric, cells, ratios };
  });
}

/** Duplicate runs per system over every workload with a worker: "0", or the total and where. */
export function duplicatesOf(records: readonly RunRecord[], system: SystemName): string | undefined {
  const mine = records.filter((r) => r.system === system && r.metrics?.duplicates !== undefined);
  if (mine.length === 0) return undefined;
  const byWorkload = new Map<string, number>();
  for (const r of mine) byWorkload.set(r.workload, (byWorkload.get(r.workload) ?? 0) + r.metrics!.duplicates!);
  const total = [...byWorkload.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return `0 (in ${mine.length} runs)`;
  return `${total}: ${[...byWorkload].filter(([, d]) => d > 0).map(([w, d]) => `${w.toUpperCase()} ${d}`).join(", ")}`;
}

/** The systems in table order. */
export function inOrder(systems: Iterable<SystemName>): SystemName[] {
  const set = new Set(systems);
  return SYSTEM_NAMES.filter((s) => set.has(s));
}
