/** Human durations ("500ms", "10s", "7d") for flags and environment variables. */
import ms from "ms";

/** Parses a duration; a bare number is milliseconds. Returns undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const value = ms(trimmed as ms.StringValue);
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
