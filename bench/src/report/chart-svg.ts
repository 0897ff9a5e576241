/**
 * The bar chart of BENCHMARKS.md, written as SVG text: one panel per measure, one bar per
 * system (its median), a whisker for min–max, and the target as a dashed line. No
 * browser, no chart library: a few rectangles and lines are all it takes.
 */
import { DISPLAY_NAME, type SystemName } from "../systems/system.js";
import { formatValue } from "./format.js";
import type { Row } from "./metrics.js";

/** Measures drawn, in order, when measured. */
export const CHARTED = ["w1a.rate", "w1b.rate", "w2.rate", "w3.p50", "w3.p99", "w2.workerMb"] as const;

const WIDTH = 980;
const COLUMNS = 2;
const PANEL_W = (WIDTH - 20 * (COLUMNS + 1)) / COLUMNS;
const LABEL_W = 120;
const VALUE_W = 110;
const BAR_H = 18;
const ROW_H = 26;
const TITLE_H = 52;
const FOOT_H = 14;
const COLOR: Record<SystemName, string> = {
  gobq: "#1d4ed8",
  "gobq-pg": "#60a5fa",
  "gobq-pg3": "#93c5fd",
  bullmq: "#9ca3af",
  "pg-boss": "#9ca3af",
  "graphile-worker": "#9ca3af",
};

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A round axis maximum at or above `v`: 1, 2 or 5 × 10^k. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((k) => k * p).find((m) => m >= v) ?? 10 * p;
}

/** An axis or target value: whole numbers with separators, small ones as they are. */
function tick(v: number): string {
  return v >= 10 ? Math.round(v).toLocaleString("en") : String(v);
}

function panel(row: Row, systems: readonly SystemName[], target: number | undefined, x: number, y: number): string {
  const { metric } = row;
  const out: string[] = [];
  const barArea = PANEL_W - LABEL_W - VALUE_W;
  const values = systems.flatMap((s) => (row.cells[s]?.spread ? [row.cells[s]!.spread!.max] : []));
  const top = niceMax(Math.max(...values, target ?? 0));
  const scale = (v: number) => (Math.max(0, v) / top) * barArea;
  const direction = metric.better === "higher" ? "higher is better" : "lower is better";
  out.push(`<text x="${x}" y="${y + 16}" class="title">${esc(metric.label)}</text>`);
  out.push(`<text x="${x}" y="${y + 31}" class="sub">${esc(`${metric.unit}, ${direction}; median, whisker min–max`)}</text>`);
  systems.forEach((system, i) => {
    const cy = y + TITLE_H + i * ROW_H;
    const cell = row.cells[system];
    out.push(`<text x="${x + LABEL_W - 8}" y="${cy + BAR_H - 5}" class="label" text-anchor="end">${esc(DISPLAY_NAME[system])}</text>`);
    if (!cell?.spread) {
      out.push(`<text x="${x + LABEL_W + 4}" y="${cy + BAR_H - 5}" class="missing">${esc(cell?.text ?? "—")}</text>`);
      return;
    }
    const s = cell.spread;
    const x0 = x + LABEL_W;
    out.push(`<rect x="${x0}" y="${cy}" width="${scale(s.median).toFixed(1)}" height="${BAR_H}" fill="${COLOR[system]}"/>`);
    if (s.count > 1) {
      const mid = cy + BAR_H / 2;
      out.push(`<line x1="${(x0 + scale(s.min)).toFixed(1)}" y1="${mid}" x2="${(x0 + scale(s.max)).toFixed(1)}" y2="${mid}" class="whisker"/>`);
    }
    out.push(`<text x="${x0 + barArea + 6}" y="${cy + BAR_H - 5}" class="value">${esc(formatValue(s.median, metric.unit))}</text>`);
  });
  const axisY = y + TITLE_H + systems.length * ROW_H;
  out.push(`<line x1="${x + LABEL_W}" y1="${axisY}" x2="${x + LABEL_W + barArea}" y2="${axisY}" class="axis"/>`);
  out.push(`<text x="${x + LABEL_W}" y="${axisY + 12}" class="tick">0</text>`);
  out.push(`<text x="${x + LABEL_W + barArea}" y="${axisY + 12}" class="tick" text-anchor="end">${esc(tick(top))}</text>`);
  if (target !== undefined) {
    const tx = (x + LABEL_W + scale(target)).toFixed(1);
    out.push(`<line x1="${tx}" y1="${y + TITLE_H - 4}" x2="${tx}" y2="${axisY}" class="target"/>`);
    out.push(`<text x="${tx}" y="${y + TITLE_H - 7}" class="targetLabel" text-anchor="middle">${esc(`target ${tick(target)}`)}</text>`);
  }
  return out.join("\n");
}

/** The chart for `rows` (those of `CHARTED` that were measured), with target lines where known. */
export function renderChart(rows: readonly Row[], systems: readonly SystemName[], targets: Readonly<Record<string, number>>, caption: string): string {
  const charted = CHARTED.map((id) => rows.find((r) => r.metric.id === id)).filter((r): r is Row => r !== undefined);
  const panelH = TITLE_H + systems.length * ROW_H + FOOT_H + 16;
  const height = 40 + Math.ceil(charted.length / COLUMNS) * panelH + 10;
  const panels = charted.map((row, i) =>
    panel(row, systems, targets[row.metric.id], 20 + (i % COLUMNS) * (PANEL_W + 20), 40 + Math.floor(i / COLUMNS) * panelH),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    "<style>",
    ".title{font-size:14px;font-weight:bold;fill:#111}.sub{font-size:11px;fill:#555}.label{font-size:12px;fill:#111}",
    ".value{font-size:12px;fill:#111}.missing{font-size:11px;fill:#999;font-style:italic}.tick{font-size:10px;fill:#777}",
    ".axis{stroke:#bbb;stroke-width:1}.whisker{stroke:#111;stroke-width:1.5}.target{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:4 3}",
    ".targetLabel{font-size:10px;fill:#dc2626}",
    "</style>",
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="20" y="24" class="title">${esc(caption)}</text>`,
    ...panels,
    "</svg>",
    "",
  ].join("\n");
}
