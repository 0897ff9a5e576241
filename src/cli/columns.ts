/**
 * Plain padded columns for `gobq list` and `gobq stats`. Names, categories, ids and numbers
 * are ASCII (the API restricts them), so string length is display width and no table
 * library is needed.
 */

/** How a column is aligned: numbers right, text left. */
export type Align = "left" | "right";

/** Rows as lines, each column as wide as its widest cell, two spaces apart; no trailing spaces. */
export function formatColumns(rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}
