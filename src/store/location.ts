/**
 * Where a store lives, as users write it: `duckdb:PATH`, `memory:` or
 * `postgres://USER@HOST:PORT/DB` (also `postgresql://`). Kept apart from the drivers so
 * reading it loads none.
 */

/** Which store to open. A PostgreSQL store is the schema `schema` of the database at `url`. */
export type StoreLocation =
  | { kind: "duckdb"; path: string }
  | { kind: "memory" }
  | { kind: "postgres"; url: string; schema: string };

/** The schema a PostgreSQL store uses when none is named. */
export const DEFAULT_STORE_SCHEMA = "gobq";

/**
 * Reads `duckdb:PATH`, `memory:` or a PostgreSQL URL; undefined if it is none of them.
 * The URL itself is checked when the store opens, where the error can leave its password out.
 */
export function parseStoreLocation(text: string, schema = DEFAULT_STORE_SCHEMA): StoreLocation | undefined {
  if (text === "memory:") return { kind: "memory" };
  if (text.startsWith("duckdb:") && text.length > "duckdb:".length) return { kind: "duckdb", path: text.slice("duckdb:".length) };
  if (/^postgres(ql)?:\/\/./.test(text)) return { kind: "postgres", url: text, schema };
  return undefined;
}

/**
 * Why `name` cannot be a store schema, or undefined if it can. Lowercase so that it needs no
 * quoting in psql; at most 48 characters so that the schema's NOTIFY channel (`NAME.tasks`)
 * stays within PostgreSQL's 63-byte identifiers; `pg_` names are reserved by PostgreSQL.
 */
export function storeSchemaProblem(name: string): string | undefined {
  if (/^[a-z_][a-z0-9_]{0,47}$/.test(name) && !name.startsWith("pg_")) return undefined;
  return `must be a lowercase identifier of at most 48 characters (a-z, 0-9, _; not starting with a digit or pg_), got ${JSON.stringify(name)}`;
}

/** The location as it may be shown and logged: a PostgreSQL URL without password or parameters. */
export function describeStoreLocation(location: StoreLocation): string {
  switch (location.kind) {
    case "memory":
      return "memory:";
    case "duckdb":
      return `duckdb:${location.path}`;
    case "postgres":
      return `${redactPostgresUrl(location.url)} (schema ${location.schema})`;
  }
}

/** `postgres://USER@HOST:PORT/DB` from a URL that may hold a password; a generic text if it does not parse. */
export function redactPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "postgres://(a URL that does not parse)";
  }
  const user = parsed.username ? `${parsed.username}@` : "";
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}
