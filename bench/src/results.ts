/**
 * What a run produces and keeps: every run record plus the context needed to read them
 * (machine, services, settings, sizes, command), written to bench/results/<timestamp>.json
 * and bench/results/latest.json. The report is computed from this, so BENCHMARKS.md can be
 * regenerated from any results file.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Machine } from "./report/machine.js";
import type { PostgresInfo, RedisInfo } from "./services.js";
import type { SystemName } from "./systems/system.js";
import type { RunRecord, Sizes, WorkloadId } from "./workloads/workload.js";

/** A system as the run found it. */
export interface SystemInfo {
  /** "not run" when it could not run here (service down, package missing): `reason` says why. */
  status: "ran" | "not run";
  reason?: string;
  settings: readonly string[];
  durability: string;
}

/** Everything one `npm run bench` produced. */
export interface BenchResults {
  format: "gobq-bench/1";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The command that produced it, as typed. */
  command: string;
  smoke: boolean;
  reps: number;
  sizes: Sizes;
  workloads: WorkloadId[];
  systems: Partial<Record<SystemName, SystemInfo>>;
  machine: Machine;
  services: { redis?: RedisInfo; postgres?: PostgresInfo };
  /** CPU the machine used over one second before the run, % of one core: others' load. */
  machineBusyBeforePct?: number;
  /** Peak RSS of a child process that loads no queue: part of every worker's RSS. */
  baselineChildPeakMb?: number;
  runs: RunRecord[];
  /** The results table as computed at the end of the run (for readers of the JSON). */
  summary: Record<string, { label: string; unit: string; cells: Record<string, string>; ratios: Record<string, number> }>;
}

/** Writes `results` as <dir>/<timestamp>.json and <dir>/latest.json; returns the first path. */
export async function writeResults(dir: string, results: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, "-");
  const file = join(dir, `${stamp}.json`);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  await writeFile(file, text);
  await writeFile(join(dir, "latest.json"), text);
  return file;
}

/** Reads a results file written by `writeResults`. */
export async function readResults(file: string): Promise<BenchResults> {
  const results = JSON.parse(await readFile(file, "utf8")) as BenchResults;
  if (results.format !== "gobq-bench/1") throw new Error(`${file} is not a gobq bench results file`);
  return results;
}
