/**
 * Runs the plan: every selected workload, repetition by repetition, on every system that
 * can run it. Repetitions are interleaved (rep 1 of every system, then rep 2…) so that a
 * machine that drifts (caches, PostgreSQL's autovacuum) drifts for everyone alike. A run
 * that fails is recorded with its error and the plan goes on.
 */
import { sleep } from "./clock.js";
import { formatPositions, formatValue, oneLine } from "./report/format.js";
import type { StartRoleOptions } from "./roles/role-process.js";
import { DISPLAY_NAME, type SystemHarness, type SystemName } from "./systems/system.js";
import { WORKLOADS } from "./workloads/index.js";
import type { RunMetrics, RunRecord, Sizes, WorkloadId } from "./workloads/workload.js";

/** What the plan runs. */
export interface Plan {
  workloads: readonly WorkloadId[];
  reps: number;
  sizes: Sizes;
  /** Longest wait for any one phase of a run. */
  phaseMs: number;
  roles: StartRoleOptions;
  /** The systems that can run, in order. */
  harnesses: readonly SystemHarness[];
  log: (line: string) => void;
}

/** Lets PostgreSQL and the OS settle between runs (connections closing, files deleted). */
const PAUSE_MS = 300;

/** One line per run for the terminal. */
function summaryLine(m: RunMetrics): string {
  const parts: string[] = [];
  if (m.jobsPerSec !== undefined) parts.push(`${formatValue(m.jobsPerSec, "jobs/s")} jobs/s`);
  if (m.latencyMs) parts.push(`p50 ${formatValue(m.latencyMs.p50, "ms")} p95 ${formatValue(m.latencyMs.p95, "ms")} p99 ${formatValue(m.latencyMs.p99, "ms")} max ${formatValue(m.latencyMs.max, "ms")} ms`);
  if (m.highPositions) parts.push(`HIGH at ${formatPositions(m.highPositions)}`);
  if (m.lost !== undefined) parts.push(`lost ${m.lost}, never finished ${m.neverFinished}, restart ${m.restartMs} ms`);
  if (m.duplicates !== undefined) parts.push(`dup ${m.duplicates}`);
  if (m.workerPeakMb !== undefined) parts.push(`worker ${formatValue(m.workerPeakMb, "MB")} MB`);
  if (m.serverPeakMb !== undefined) parts.push(`server ${formatValue(m.serverPeakMb, "MB")} MB`);
  const cpu = Object.entries(m.cpuPct ?? {}).map(([k, v]) => `${k} ${Math.round(v)}%`);
  if (cpu.length) parts.push(`cpu ${cpu.join(" ")}`);
  if (m.problems.length) parts.push(`PROBLEMS: ${m.problems.join("; ")}`);
  return parts.join(", ");
}

/** Runs every run of the plan; never throws for a failed run. */
export async function runPlan(plan: Plan): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const id of plan.workloads) {
    const workload = WORKLOADS[id];
    const harnesses = plan.harnesses.filter((h) => !workload.gobqOnly || (workload.gobqSystems ?? ["gobq"]).includes(h.name));
    if (harnesses.length === 0) continue;
    plan.log(`\n${workload.title}`);
    for (let rep = 1; rep <= plan.reps; rep++) {
      for (const harness of harnesses) {
        const system: SystemName = harness.name;
        const label = `  rep ${rep} ${DISPLAY_NAME[system].padEnd(15)}`;
        try {
          const metrics = await workload.run({ harness, sizes: plan.sizes, phaseMs: plan.phaseMs, roles: plan.roles });
          records.push({ workload: id, system, rep, ok: true, metrics });
          plan.log(`${label} ${summaryLine(metrics)}`);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          records.push({ workload: id, system, rep, ok: false, error });
          plan.log(`${label} FAILED: ${oneLine(error, 300)}`);
        }
        await sleep(PAUSE_MS);
      }
    }
  }
  return records;
}
