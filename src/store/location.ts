/** Where a store lives, as users write it: `duckdb:PATH` or `memory:`. Kept apart from the drivers so reading it loads none. */

/** Which store to open. */
export type StoreLocation = { kind: "duckdb"; path: string } | { kind: "memory" };

/** Reads `duckdb:PATH` or `memory:`; undefined if it is neither. */
export function parseStoreLocation(text: string): StoreLocation | undefined {
  if (text === "memory:") return { kind: "memory" };
  if (text.startsWith("duckdb:") && text.length > "duckdb:".length) return { kind: "duckdb", path: text.slice("duckdb:".length) };
  return undefined;
}
