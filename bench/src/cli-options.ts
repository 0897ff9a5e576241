/** The harness's flags, checked and resolved: every error names the flag. */
import { SYSTEM_NAMES, type SystemName } from "./systems/system.js";
import { FULL_SIZES, SMOKE_SIZES, WORKLOAD_IDS, type Sizes, type WorkloadId } from "./workloads/workload.js";

/** The flags as commander hands them over. */
export interface RawOptions {
  only?: string;
  workload?: string;
  reps?: string;
  tasks?: string;
  smoke?: boolean;
  write?: boolean;
  cpuProf?: string;
  reportFrom?: string;
}

/** The flags after defaults. */
export interface BenchOptions {
  systems: SystemName[];
  workloads: WorkloadId[];
  reps: number;
  sizes: Sizes;
  smoke: boolean;
  /** Write results (and, for a full run, BENCHMARKS.md). Default true, false for --smoke. */
  write: boolean;
  /** A run of everything at the sizes: only such a run regenerates BENCHMARKS.md. */
  full: boolean;
  /** Longest wait for any one phase of a run. */
  phaseMs: number;
  cpuProfDir?: string;
  reportFrom?: string;
}

const SYSTEM_ALIASES: Record<string, SystemName> = {
  gobq: "gobq",
  "gobq-pg": "gobq-pg",
  "gobq-pg3": "gobq-pg3",
  bullmq: "bullmq",
  "pg-boss": "pg-boss",
  pgboss: "pg-boss",
  "graphile-worker": "graphile-worker",
  graphile: "graphile-worker",
};

function list(value: string | undefined): string[] | undefined {
  return value?.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
}

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: must be a positive integer, got "${value}"`);
  return n;
}

/** Resolves the flags; throws an error naming the flag at fault. */
export function resolveOptions(raw: RawOptions): BenchOptions {
  const names = list(raw.only);
  const systems = names
    ? names.map((n) => {
        const s = SYSTEM_ALIASES[n];
        if (!s) throw new Error(`--only: unknown queue "${n}"; choose from ${SYSTEM_NAMES.join(", ")}`);
        return s;
      })
    : [...SYSTEM_NAMES];
  const ids = list(raw.workload);
  const workloads = ids
    ? ids.flatMap((w): WorkloadId[] => {
        if (w === "w1") return ["w1a", "w1b"];
        if (w === "all") return [...WORKLOAD_IDS];
        if (!(WORKLOAD_IDS as readonly string[]).includes(w)) throw new Error(`--workload: unknown workload "${w}"; choose from w1, ${WORKLOAD_IDS.join(", ")}`);
        return [w as WorkloadId];
      })
    : [...WORKLOAD_IDS];
  if (raw.smoke && names && names.join() !== "gobq") throw new Error("--smoke runs gobq only: leave out --only");
  const base = raw.smoke ? SMOKE_SIZES : FULL_SIZES;
  const sizes = { ...base, n: positiveInt("--tasks", raw.tasks, base.n) };
  const reps = positiveInt("--reps", raw.reps, raw.smoke ? 1 : 3);
  const uniqueSystems = SYSTEM_NAMES.filter((s) => systems.includes(s));
  const uniqueWorkloads = WORKLOAD_IDS.filter((w) => workloads.includes(w));
  return {
    systems: raw.smoke ? ["gobq"] : uniqueSystems,
    workloads: uniqueWorkloads,
    reps,
    sizes,
    smoke: raw.smoke ?? false,
    write: raw.smoke ? false : raw.write !== false,
    full: !raw.smoke && uniqueSystems.length === SYSTEM_NAMES.length && uniqueWorkloads.length === WORKLOAD_IDS.length && reps === 3 && sizes.n === FULL_SIZES.n,
    phaseMs: raw.smoke ? 30_000 : 600_000,
    cpuProfDir: raw.cpuProf,
    reportFrom: raw.reportFrom,
  };
}
