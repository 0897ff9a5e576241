/** Turns a failure to open a store file into a `StoreOpenError` with one clear line. */
import { StoreOpenError } from "../store.js";

/**
 * The `StoreOpenError` for `cause`, raised while opening the store file at `path`.
 * DuckDB's messages carry a prefix, a docs link and sometimes several lines; the operator
 * needs the file, the reason and, for a lock, who holds it. The original stays as `cause`.
 */
export function storeOpenError(path: string, cause: unknown): StoreOpenError {
  if (cause instanceof StoreOpenError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  // Only Node's file-system errors carry an errno code such as ENOTDIR or EACCES.
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const code = typeof errno === "string" && /^E[A-Z]+$/.test(errno) ? errno : undefined;
  const prefix = `cannot open store file "${path}"`;
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    const pid = /PID (\d+)/.exec(message)?.[1];
    const holder = pid === undefined ? "" : ` (PID ${pid})`;
    return new StoreOpenError(`${prefix}: another gobq server or process holds its lock${holder}`, { cause });
  }
  if (code !== undefined || /Permission denied|Not a directory|Read-only file system|Cannot open file/i.test(message)) {
    // Node: "ENOTDIR: not a directory, mkdir '…'"; DuckDB: 'IO Error: Cannot open file "…": Not a directory'.
    const reason =
      code !== undefined
        ? (message.split(",", 1)[0] ?? code)
        : (/:\s*([^:"]+)$/.exec(firstLine(message))?.[1]?.trim() ?? "cannot write there");
    return new StoreOpenError(`${prefix}: the path is not writable (${reason})`, { cause });
  }
  if (/not a valid DuckDB database file/i.test(message)) {
    return new StoreOpenError(`${prefix}: the file exists but is not a DuckDB database`, { cause });
  }
  return new StoreOpenError(`${prefix}: ${firstLine(message).replace(/^[A-Za-z ]+Error:\s*/, "")}`, { cause });
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}
