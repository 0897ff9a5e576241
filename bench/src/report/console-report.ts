/** The report as the terminal shows it at the end of a run. */
import type { BenchResults } from "../results.js";
import { DISPLAY_NAME, isPeer } from "../systems/system.js";
import { buildReport, metText } from "./build.js";
import { formatRatio } from "./format.js";
import { machineLine } from "./machine.js";
import { textTable } from "./tables.js";

/** The report of `results` as plain text. */
export function consoleReport(results: BenchResults): string {
  const report = buildReport(results);
  const peers = report.systems.filter(isPeer);
  const header = ["measure", "unit", ...report.systems.map((s) => DISPLAY_NAME[s]), ...(report.systems.includes("gobq") ? peers.map((p) => `gobq/${DISPLAY_NAME[p]}`) : [])];
  const rows = report.rows.map((r) => [
    r.metric.label,
    r.metric.unit,
    ...report.systems.map((s) => r.cells[s]?.text ?? "—"),
    ...(report.systems.includes("gobq") ? peers.map((p) => (r.ratios[p] === undefined ? "" : formatRatio(r.ratios[p]!))) : []),
  ]);
  rows.push(["duplicate runs", "", ...report.systems.map((s) => report.duplicates[s] ?? "—")]);
  const out = [
    "",
    `Results: medians of ${results.reps} repetition${results.reps === 1 ? "" : "s"}, min–max in brackets (${machineLine(results.machine)})`,
    textTable(header, rows),
  ];
  if (report.systems.includes("gobq")) {
    out.push("", "Targets (gobq medians):");
    out.push(
      textTable(
        ["workload", "target", "gobq", "best peer here", "result"],
        report.targets.map((t) => [t.workload, t.target, t.gobq, t.measuredPeer, metText(t.met)]),
      ),
    );
  }
  out.push("", `CPU during the measured phase (% of one core; server = gobq server, Redis or PostgreSQL; machine = everything running, of ${results.machine.cores * 100}%):`);
  out.push(textTable(["workload", ...report.systems.map((s) => DISPLAY_NAME[s])], report.cpu.map((c) => [c.workload.toUpperCase(), ...report.systems.map((s) => c.cells[s] ?? "—")])));
  if (report.anomalies.length) out.push("", "Not run, failed or suspect:", ...report.anomalies.map((a) => `  - ${a}`));
  return out.join("\n");
}
