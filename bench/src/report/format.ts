/** How numbers look in the tables: the same in the terminal and in BENCHMARKS.md. */

/** A number in `unit`, rounded as that unit deserves. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "?";
  if (unit === "ms") return value.toFixed(value < 10 ? 2 : 1);
  if (unit === "MB") return value.toFixed(1);
  return Math.round(value).toLocaleString("en");
}

/** Median, with min–max in brackets when there was more than one repetition. */
export function formatSpread(s: { median: number; min: number; max: number; count: number }, unit: string): string {
  const median = formatValue(s.median, unit);
  return s.count > 1 ? `${median} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})` : median;
}

/** A gobq/peer ratio. */
export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
}

/** Sorted positions as ranges: [0,1,2,3,7] → "0–3, 7". */
export function formatPositions(positions: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < positions.length) {
    let j = i;
    while (j + 1 < positions.length && positions[j + 1] === positions[j]! + 1) j++;
    parts.push(i === j ? `${positions[i]}` : `${positions[i]}–${positions[j]}`);
    i = j + 1;
  }
  return parts.join(", ") || "none";
}

/** One line, no longer than `max` characters, for table cells. */
export function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
