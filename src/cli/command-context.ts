/** What every client command is handed by main.ts: a client, where to print, and how. */
import type { TaskClient } from "@gobq/sdk";

/** Where a command prints its result: stdout in real use. */
export interface Output {
  write(text: string): unknown;
  /** True on a terminal: `watch` then draws a live bar instead of one line per change. */
  isTTY?: boolean;
  /** Terminal width, if known. */
  columns?: number;
}

/** A client command's dependencies, passed explicitly. */
export interface CommandContext {
  client: TaskClient;
  out: Output;
  /** Print the SDK's objects as JSON (Dates as ISO strings) instead of text. */
  json: boolean;
}

/** Prints a value as indented JSON: readable, and one `JSON.parse` away for scripts. */
export function writeJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
