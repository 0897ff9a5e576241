/** Writes BENCHMARKS.md and its chart for a results file, keeping the profiling notes. */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { BenchResults } from "../results.js";
import { buildReport } from "./build.js";
import { renderChart } from "./chart-svg.js";
import { renderMarkdown } from "./markdown.js";
import { TARGET_LINES } from "./targets.js";

/** What a report is written from and where it goes. */
export interface WriteReportOptions {
  repoRoot: string;
  results: BenchResults;
  /** The results file, for the link in BENCHMARKS.md. */
  resultsFile: string;
  /** Where BENCHMARKS.md and the chart go. Default: BENCHMARKS.md at the root, the chart in bench/. */
  markdownFile?: string;
  chartFile?: string;
}

const NO_NOTES = "_No profiling notes yet: write them in bench/profile-notes.md._";

/** Renders the chart and BENCHMARKS.md; returns the paths written. */
export async function writeReport(o: WriteReportOptions): Promise<{ markdown: string; chart: string }> {
  const markdown = o.markdownFile ?? join(o.repoRoot, "BENCHMARKS.md");
  const chart = o.chartFile ?? join(o.repoRoot, "bench", "chart.svg");
  const notesFile = join(o.repoRoot, "bench", "profile-notes.md");
  const notes = existsSync(notesFile) ? await readFile(notesFile, "utf8") : NO_NOTES;
  const report = buildReport(o.results);
  const caption = `gobq vs peers, ${o.results.startedAt.slice(0, 10)}, ${o.results.machine.cores} cores, Node ${o.results.machine.node}`;
  await writeFile(chart, renderChart(report.rows, report.systems, TARGET_LINES, caption));
  const fromRoot = (p: string) => relative(o.repoRoot, p).split("\\").join("/");
  const chartLink = relative(join(markdown, ".."), chart).split("\\").join("/");
  await writeFile(
    markdown,
    renderMarkdown(o.results, { chart: chartLink, results: fromRoot(o.resultsFile), profileNotes: "bench/profile-notes.md" }, notes),
  );
  return { markdown, chart };
}
