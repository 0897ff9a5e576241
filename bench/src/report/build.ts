/** Everything a report shows, computed from a results file: the same for the terminal and BENCHMARKS.md. */
import type { BenchResults } from "../results.js";
import { median } from "../stats.js";
import { DISPLAY_NAME, type SystemName } from "../systems/system.js";
import { WORKLOADS } from "../workloads/index.js";
import type { RunMetrics, WorkloadId } from "../workloads/workload.js";
import { oneLine } from "./format.js";
import { duplicatesOf, inOrder, summarize, type Row, type SystemState } from "./metrics.js";
import { checkTargets, type TargetResult } from "./targets.js";

/** A report of one results file. */
export interface Report {
  systems: SystemName[];
  rows: Row[];
  /** Duplicate runs per system over all workloads with a worker. */
  duplicates: Partial<Record<SystemName, string>>;
  targets: TargetResult[];
  /** Per workload, per system: median CPU % of each process during the measured phase. */
  cpu: { workload: WorkloadId; cells: Partial<Record<SystemName, string>> }[];
  /** Systems not run, runs that failed, runs whose numbers did not add up. */
  anomalies: string[];
}

const CPU_PARTS = ["producer", "worker", "server", "machine"] as const;

function cpuCell(runs: RunMetrics[]): string | undefined {
  const parts = CPU_PARTS.flatMap((part) => {
    const m = median(runs.flatMap((r) => (r.cpuPct?.[part] === undefined ? [] : [r.cpuPct[part]!])));
    return m === undefined ? [] : [`${part} ${Math.round(m)}%`];
  });
  return parts.length ? parts.join(" · ") : undefined;
}

/** Computes the report of `results`. */
export function buildReport(results: BenchResults): Report {
  const systems = inOrder(Object.keys(results.systems) as SystemName[]);
  const states: Partial<Record<SystemName, SystemState>> = {};
  for (const s of systems) {
    const info = results.systems[s]!;
    states[s] = info.status === "not run" ? { notRun: info.reason ?? "unknown" } : {};
  }
  const rows = summarize(results.runs, systems, states, (w) => WORKLOADS[w].gobqOnly);

  const duplicates: Report["duplicates"] = {};
  for (const s of systems) {
    const d = duplicatesOf(results.runs, s);
    if (d !== undefined) duplicates[s] = d;
  }

  const cpu = results.workloads.map((workload) => {
    const cells: Partial<Record<SystemName, string>> = {};
    for (const s of systems) {
      const runs = results.runs.filter((r) => r.workload === workload && r.system === s && r.ok && r.metrics).map((r) => r.metrics!);
      const text = cpuCell(runs);
      if (text) cells[s] = text;
    }
    return { workload, cells };
  });

  const anomalies: string[] = [];
  for (const s of systems) {
    const info = results.systems[s]!;
    if (info.status === "not run") anomalies.push(`${DISPLAY_NAME[s]}: not run: ${info.reason}`);
  }
  for (const r of results.runs) {
    const where = `${r.workload.toUpperCase()} repetition ${r.rep}, ${DISPLAY_NAME[r.system]}`;
    if (!r.ok) anomalies.push(`${where}: failed: ${oneLine(r.error ?? "?", 400)}`);
    else if (r.metrics?.problems.length) anomalies.push(`${where}: ${r.metrics.problems.join("; ")}`);
  }

  return { systems, rows, duplicates, targets: checkTargets(rows), cpu, anomalies };
}

/** "met", "NOT met" or "not measured". */
export function metText(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "met" : "NOT met";
}
