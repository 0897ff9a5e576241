/**
 * `npm run bench`: gobq against BullMQ, pg-boss and graphile-worker on identical workloads,
 * in one run on this machine. See BENCHMARKS.md for what it measures and how.
 *
 *   npm run bench                                   everything, 3 repetitions; writes results and BENCHMARKS.md
 *   npm run bench -- --only gobq,bullmq --workload w2
 *   npm run bench -- --smoke                        CI: small sizes, gobq only; fails on any error
 *   npm run bench -- --report-from bench/results/latest.json   regenerate BENCHMARKS.md only
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { resolveOptions, type BenchOptions, type RawOptions } from "./cli-options.js";
import { sleep } from "./clock.js";
import { machineBusyMs } from "./proc-stats.js";
import { killAll, killChildrenOnExit } from "./processes.js";
import { buildReport } from "./report/build.js";
import { consoleReport } from "./report/console-report.js";
import { describeMachine, machineLine } from "./report/machine.js";
import { writeReport } from "./report/write-report.js";
import { readResults, writeResults, type BenchResults, type SystemInfo } from "./results.js";
import { bundleChild } from "./roles/child-bundle.js";
import { startRole, type StartRoleOptions } from "./roles/role-process.js";
import { runPlan } from "./run-plan.js";
import { probePostgres, probeRedis, type PostgresInfo, type RedisInfo } from "./services.js";
import { loadHarness } from "./systems/registry.js";
import { DISPLAY_NAME, isPeer, type SystemHarness, type SystemName } from "./systems/system.js";
import { WORKLOADS } from "./workloads/index.js";
import type { RunRecord } from "./workloads/workload.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RESULTS_DIR = join(REPO_ROOT, "bench", "results");
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Checks the services the selected peers need, saying how to start any that is down. */
async function probeServices(systems: readonly SystemName[]) {
  const redis: RedisInfo | undefined = systems.includes("bullmq") ? await probeRedis() : undefined;
  const postgres: PostgresInfo | undefined =
    ["pg-boss", "graphile-worker", "gobq-pg", "gobq-pg3"].some((s) => systems.includes(s as SystemName)) ? await probePostgres() : undefined;
  if (redis) log(redis.ok ? `Redis ${redis.version} answers (save "${redis.save}", appendonly ${redis.appendonly})` : `Redis: ${redis.reason}\n  start it with: ${redis.howToStart}`);
  if (postgres) {
    log(
      postgres.ok
        ? `PostgreSQL ${postgres.version} answers as ${postgres.user} (fsync ${postgres.fsync}, synchronous_commit ${postgres.synchronousCommit}); database "bench" ready`
        : `PostgreSQL: ${postgres.reason}\n  start it with: ${postgres.howToStart}`,
    );
  }
  return { redis, postgres };
}

/** The peak RSS of a child process that loads no queue: what Node and the harness cost every child. */
async function baselineChildPeakMb(roles: StartRoleOptions): Promise<number | undefined> {
  const child = startRole({ role: "baseline" }, roles);
  try {
    return (await child.next("baseline-done", 60_000)).maxRssKb / 1024;
  } catch {
    return undefined;
  } finally {
    await child.kill();
  }
}

/** How busy the machine is without us: CPU % of one core over `ms`. */
async function machineBusyPct(ms: number): Promise<number> {
  const before = machineBusyMs();
  await sleep(ms);
  return ((machineBusyMs() - before) / ms) * 100;
}

/** What went wrong with gobq, beyond failed runs: these make the exit code non-zero. */
function gobqViolations(records: readonly RunRecord[], options: BenchOptions): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (isPeer(r.system) || !r.metrics) continue;
    const m = r.metrics;
    const where = `${r.workload.toUpperCase()} repetition ${r.rep}`;
    if (r.workload !== "w5" && m.problems.length) out.push(`${where}: ${m.problems.join("; ")}`);
    if (m.highPositions?.some((p) => p >= options.sizes.priorityHigh)) out.push(`${where}: a HIGH job started after a LOW one (positions ${m.highPositions.join(", ")})`);
    if (m.lost) out.push(`${where}: ${m.lost} acknowledged jobs lost`);
    if (m.neverFinished) out.push(`${where}: ${m.neverFinished} jobs never finished`);
  }
  return out;
}

async function run(options: BenchOptions, command: string): Promise<number> {
  if (options.reportFrom) {
    const file = resolve(options.reportFrom);
    const written = await writeReport({ repoRoot: REPO_ROOT, results: await readResults(file), resultsFile: file });
    log(`wrote ${written.markdown} and ${written.chart}`);
    return 0;
  }

  const started = Date.now();
  const machine = describeMachine();
  log(`gobq bench: ${command}`);
  log(`machine: ${machineLine(machine)}`);
  log(`queues: ${options.systems.map((s) => DISPLAY_NAME[s]).join(", ")}; workloads: ${options.workloads.join(", ")}; ${options.reps} repetition(s); N=${options.sizes.n.toLocaleString("en")}`);

  const services = await probeServices(options.systems);
  const systems: Partial<Record<SystemName, SystemInfo>> = {};
  const harnesses: SystemHarness[] = [];
  for (const name of options.systems) {
    try {
      const h = await loadHarness(name, {
        repoRoot: REPO_ROOT,
        redis: services.redis ?? { ok: false, reason: "not probed", howToStart: "" },
        postgres: services.postgres ?? { ok: false, reason: "not probed", howToStart: "" },
        cpuProfDir: options.cpuProfDir,
      });
      harnesses.push(h);
      systems[name] = { status: "ran", settings: h.settings, durability: h.durability };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      systems[name] = { status: "not run", reason, settings: [], durability: "not known: it did not run" };
      log(`${DISPLAY_NAME[name]}: NOT RUN: ${reason}`);
    }
  }
  for (const h of harnesses) log(`\n${DISPLAY_NAME[h.name]} settings:\n${h.settings.map((s) => `  - ${s}`).join("\n")}\n  durability: ${h.durability}`);

  const busyBefore = await machineBusyPct(1000);
  log(`machine busy before the run: ${Math.round(busyBefore)}% of one core`);
  if (busyBefore > 25) log("  WARNING: other processes are using the CPU; every number of this run will be lower than on a quiet machine");
  const roles: StartRoleOptions = { entry: await bundleChild(REPO_ROOT), cpuProfDir: options.cpuProfDir };
  const baseline = await baselineChildPeakMb(roles);
  let records: RunRecord[];
  try {
    records = await runPlan({
      workloads: options.workloads,
      reps: options.reps,
      sizes: options.sizes,
      phaseMs: options.phaseMs,
      roles,
      harnesses,
      log,
    });
  } finally {
    await Promise.all(harnesses.map((h) => h.close().catch(() => {})));
  }

  const results: BenchResults = {
    format: "gobq-bench/1",
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    command,
    smoke: options.smoke,
    reps: options.reps,
    sizes: options.sizes,
    workloads: options.workloads.filter((w) => !WORKLOADS[w].gobqOnly || options.systems.some((s) => (WORKLOADS[w].gobqSystems ?? ["gobq"]).includes(s))),
    systems,
    machine,
    services,
    machineBusyBeforePct: busyBefore,
    baselineChildPeakMb: baseline,
    runs: records,
    summary: {},
  };
  for (const row of buildReport(results).rows) {
    results.summary[row.metric.id] = {
      label: row.metric.label,
      unit: row.metric.unit,
      cells: Object.fromEntries(Object.entries(row.cells).map(([s, c]) => [s, c.text])),
      ratios: row.ratios as Record<string, number>,
    };
  }
  log(consoleReport(results));

  if (options.write) {
    const file = await writeResults(RESULTS_DIR, results);
    log(`\nresults: ${file} (and bench/results/latest.json)`);
    if (options.full) {
      const written = await writeReport({ repoRoot: REPO_ROOT, results, resultsFile: file });
      log(`report: ${written.markdown}, chart: ${written.chart}`);
    } else {
      log("BENCHMARKS.md left as it is: only a run of every queue and workload at the issue's sizes regenerates it (or --report-from <file>).");
    }
  }
  if (options.smoke) {
    // The report code must not rot either: render it where it harms nothing and check it.
    const dir = await mkdtemp(join(tmpdir(), "gobq-bench-report-"));
    try {
      const written = await writeReport({ repoRoot: REPO_ROOT, results, resultsFile: join(dir, "results.json"), markdownFile: join(dir, "BENCHMARKS.md"), chartFile: join(dir, "chart.svg") });
      const [md, svg] = await Promise.all([readFile(written.markdown, "utf8"), readFile(written.chart, "utf8")]);
      if (!md.includes("| measure |") || !svg.startsWith("<svg") || !svg.includes("<rect")) throw new Error("the rendered report is incomplete");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const failed = records.filter((r) => !r.ok).map((r) => `${r.workload.toUpperCase()} repetition ${r.rep}, ${DISPLAY_NAME[r.system]}: ${r.error}`);
  const violations = gobqViolations(records, options);
  if (options.systems.includes("gobq") && systems.gobq?.status !== "ran") violations.push(`gobq did not run: ${systems.gobq?.reason}`);
  log(`\nbench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failed.length || violations.length) {
    process.stderr.write(`\nbench FAILED:\n${[...failed, ...violations].map((l) => `  - ${l}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

const program = new Command()
  .name("npm run bench --")
  .description("gobq against BullMQ, pg-boss and graphile-worker on identical workloads")
  .option("--only <queues>", "comma-separated: gobq, bullmq, pg-boss, graphile-worker (default: all)")
  .option("--workload <ids>", "comma-separated: w1 (= w1a,w1b), w1a, w1b, w2, w3, w4, w5, w6 (default: all)")
  .option("--reps <n>", "repetitions of each workload (default 3)")
  .option("-n, --tasks <n>", "N, the jobs of W1, W2 and W5 (default 20,000)")
  .option("--smoke", "for CI: small sizes, gobq only, one repetition, nothing written; exits non-zero on any failure")
  .option("--no-write", "print only: write no results file and no BENCHMARKS.md")
  .option("--cpu-prof <dir>", "write CPU profiles (node --cpu-prof) of the gobq server and of every producer and worker into <dir>")
  .option("--report-from <file>", "run nothing: regenerate BENCHMARKS.md and bench/chart.svg from a results file")
  .showHelpAfterError();
program.parse();

killChildrenOnExit();
const args = process.argv.slice(2);
const command = `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`;
let exitCode: number;
try {
  exitCode = await run(resolveOptions(program.opts<RawOptions>()), command);
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitCode = 1;
}
killAll();
process.exit(exitCode);
