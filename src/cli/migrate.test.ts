import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, validateStore, withDefaults } from "../config/config.js";
import { redactPostgresUrl } from "../store/location.js";
import { findTestPostgres, useFreshSchemas } from "../store/storetest/postgres-server.js";
import { migrateStore } from "./migrate.js";

const url = await findTestPostgres();
const GOBQ = fileURLToPath(new URL("../../bin/gobq.js", import.meta.url));

/** Runs `gobq` with `args` and extra environment variables; resolves with what it printed and its exit code. */
function runGobq(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [GOBQ, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(url === undefined)("gobq migrate on PostgreSQL", () => {
  const freshSchema = useFreshSchemas(url!);
  const shown = redactPostgresUrl(url!);

  it("applies the migrations once and then says the schema is up to date", async () => {
    const schema = freshSchema();
    let text = "";
    const out = { write: (chunk: string) => (text += chunk) };
    await migrateStore({ kind: "postgres", url: url!, schema }, out);
    expect(text).toBe(
      `${shown} (schema ${schema}): applied migration 1 (create tasks)\n${shown} (schema ${schema}): applied migration 2 (category settings)\n`,
    );
    text = "";
    await migrateStore({ kind: "postgres", url: url!, schema }, out);
    expect(text).toBe(`${shown} (schema ${schema}): up to date at schema version 2\n`);
  });

  it("runs as a command: exit 0 with what it applied; one line and exit 1 when it cannot", async () => {
    const schema = freshSchema();
    const done = await runGobq(["migrate", "--store-schema", schema], { GOBQ_STORE: url! });
    expect(done).toStrictEqual({
      code: 0,
      stdout: `${shown} (schema ${schema}): applied migration 1 (create tasks)\n${shown} (schema ${schema}): applied migration 2 (category settings)\n`,
      stderr: "",
    });

    const refused = await runGobq(["migrate", "--store", "postgres://gobq:s3cret@127.0.0.1:1/queue"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gobq: cannot open store postgres:\/\/gobq@127\.0\.0\.1:1\/queue \(schema gobq\): nothing answers there \([^\n]*\)\n$/);

    const badSchema = await runGobq(["migrate", "--store", url!], { GOBQ_STORE_SCHEMA: "1st" });
    expect(badSchema.code).toBe(1);
    expect(badSchema.stderr).toMatch(/^gobq: --store-schema \(GOBQ_STORE_SCHEMA\): must be a lowercase identifier[^\n]*"1st"\n$/);
  });
});

describe("the store settings of gobq migrate and serve", () => {
  const store = (flags: { store?: string; storeSchema?: string }) => validateStore(withDefaults(flags));

  it("puts the schema, default gobq, into a PostgreSQL location only", () => {
    expect(store({ store: "postgres://u@h:5432/db" })).toStrictEqual({ kind: "postgres", url: "postgres://u@h:5432/db", schema: "gobq" });
    expect(store({ store: "postgresql://u@h/db", storeSchema: "team_a" })).toMatchObject({ kind: "postgres", schema: "team_a" });
    expect(store({ storeSchema: "team_a" })).toStrictEqual({ kind: "duckdb", path: "./data/gobq.duckdb" });
  });

  it("refuses a schema name that is not a plain lowercase identifier, naming the setting", () => {
    for (const bad of ["", "Team", "team-a", "1st", "pg_mine", "x".repeat(49), 'a"b']) {
      expect(() => store({ store: "postgres://u@h/db", storeSchema: bad })).toThrow(ConfigError);
      expect(() => store({ store: "postgres://u@h/db", storeSchema: bad })).toThrow(/^--store-schema \(GOBQ_STORE_SCHEMA\): must be /);
    }
    expect(() => store({ store: "mysql://u@h/db" })).toThrow(/^--store \(GOBQ_STORE\): must be duckdb:PATH, memory: or postgres:/);
    // A mistyped URL's password stays out of the message.
    expect(() => store({ store: "postgress://me:s3cret@h/db" })).toThrow(/, got "postgress:\/\/me@h\/db"$/);
  });
});
