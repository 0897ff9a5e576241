import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { SharedStore, TaskChange } from "../shared-store.js";
import { StoreOpenError } from "../store.js";
import { exerciseStore, makeTask } from "../storetest/index.js";
import { findTestPostgres, useFreshSchemas } from "../storetest/postgres-server.js";
import { exerciseSharedStore } from "../storetest/shared/index.js";
import { eventually } from "../storetest/shared/steps.js";
import { migratePostgresStore, openPostgresStore, type PostgresStoreOptions } from "./index.js";

const url = await findTestPostgres();
const NOW = 1_700_000_000_000;

/** Runs one statement on the test server outside any store, as an operator or a fault would. */
async function admin<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url! });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function openError(options: PostgresStoreOptions): Promise<Error> {
  const error = await openPostgresStore(options).then(
    async (store) => {
      await store.close();
      return new Error("opened");
    },
    (caught: unknown) => caught as Error,
  );
  expect(error).toBeInstanceOf(StoreOpenError);
  expect(error.message).not.toContain("\n");
  return error;
}

describe.skipIf(url === undefined)("PostgreSQL store", () => {
  const freshSchema = useFreshSchemas(url!);

  exerciseStore("postgres", () => openPostgresStore({ url: url!, schema: freshSchema() }));

  exerciseSharedStore("postgres", () => {
    const schema = freshSchema();
    return {
      open: () => openPostgresStore({ url: url!, schema }),
      async dropListenerConnections() {
        await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`gobq listen ${schema}`]);
      },
    };
  });

  describe("PostgreSQL driver", () => {
    const opened: SharedStore[] = [];
    const open = async (options: Partial<PostgresStoreOptions> = {}): Promise<SharedStore> => {
      const store = await openPostgresStore({ url: url!, schema: freshSchema(), ...options });
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it("creates the schema and migrates it once, also when replicas start together", async () => {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => open({ schema })));
      await stores[0]!.taskSaveMany({ inserted: [makeTask()], updated: [] });
      expect(await stores[3]!.taskList({ limit: 10 })).toHaveLength(1);
      const rows = await admin(`SELECT version, name FROM ${pg.escapeIdentifier(schema)}.migrations`);
      expect(rows).toStrictEqual([
        { version: 1, name: "create tasks" },
        { version: 2, name: "category settings" },
      ]);
      const again = await migratePostgresStore({ url: url!, schema });
      expect(again).toStrictEqual({ store: expect.stringContaining(`(schema ${schema})`), applied: [], version: 2 });
    });

    it("reports the migrations it applied", async () => {
      const schema = freshSchema();
      expect(await migratePostgresStore({ url: url!, schema })).toMatchObject({
        applied: [
          { version: 1, name: "create tasks" },
          { version: 2, name: "category settings" },
        ],
        version: 2,
      });
      expect(await migratePostgresStore({ url: url!, schema })).toMatchObject({ applied: [], version: 2 });
    });

    it("keeps deployments in different schemas apart, announcements included", async () => {
      const [mine, theirs] = [await open(), await open()];
      const heard: TaskChange[] = [];
      await theirs.listen({ onChanges: (changes) => heard.push(...changes), onGap: () => undefined });
      await mine.taskEnqueueMany({ tasks: [makeTask()], now: NOW });
      const [own] = await theirs.taskEnqueueMany({ tasks: [makeTask()], now: NOW });
      await eventually("their change", () => heard.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard.map((change) => change.id)).toStrictEqual([own!.task.id]);
      expect(await theirs.taskList({ limit: 10 })).toStrictEqual([own!.task]);
      // Each schema has its own ready order.
      expect(own!.task.readySeq).toBe(1);
    });

    it("packs many changes into few notifications, and announces a task too large for one without it", async () => {
      const store = await open();
      const heard: TaskChange[][] = [];
      await store.listen({ onChanges: (batch) => heard.push([...batch]), onGap: () => undefined });
      const tasks = Array.from({ length: 1000 }, () => makeTask());
      await store.taskEnqueueMany({ tasks, now: NOW });
      await eventually("a thousand changes", () => heard.flat().length === 1000);
      // A small task's announcement takes about 500 bytes: 15 fit in one.
      expect(heard.length).toBeLessThanOrEqual(1000 / 15);
      expect(heard.flat().every((change) => change.task !== undefined)).toBe(true);

      const large = makeTask({ kwargs: { blob: "x".repeat(8_000) } });
      const after = makeTask();
      await store.taskEnqueueMany({ tasks: [large, after], now: NOW });
      await eventually("two more", () => heard.flat().length === 1002);
      const [first, second] = heard.flat().slice(1000);
      expect(first).toMatchObject({ id: large.id, status: "pending", ready: true, task: undefined });
      expect(second).toMatchObject({ id: after.id, task: { ...after, readySeq: expect.any(Number), readyAt: NOW } });
    });

    it("fails a statement that waits too long instead of hanging, and goes on working", async () => {
      const schema = freshSchema();
      const store = await open({ schema, statementTimeoutMs: 300 });
      const task = makeTask();
      await store.taskSaveMany({ inserted: [task], updated: [] });
      const holder = new pg.Client({ connectionString: url! });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(`SELECT 1 FROM ${pg.escapeIdentifier(schema)}.tasks WHERE id = $1 FOR UPDATE`, [task.id]);
        const started = Date.now();
        await expect(store.taskModify({ id: task.id, now: NOW, change: (t) => void (t.seq += 1) })).rejects.toThrow(/statement timeout/);
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        await holder.end();
      }
      expect((await store.taskModify({ id: task.id, now: NOW, change: (t) => void (t.seq += 1) }))?.task.seq).toBe(2);
    });

    it("goes on working after the server ends its connections", async () => {
      const schema = freshSchema();
      const store = await open({ schema });
      await store.taskSaveMany({ inserted: [makeTask()], updated: [] });
      // Several pooled connections, all ended while idle: the pool learns it only later.
      const reads = () => Promise.all(Array.from({ length: 4 }, () => store.taskList({ limit: 10 })));
      await reads();
      await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`gobq ${schema}`]);
      expect((await reads()).map((page) => page.length)).toEqual([1, 1, 1, 1]);
    });

    it("refuses a stored number it cannot hold exactly", async () => {
      const schema = freshSchema();
      const store = await open({ schema });
      const task = makeTask();
      await store.taskSaveMany({ inserted: [task], updated: [] });
      await admin(`UPDATE ${pg.escapeIdentifier(schema)}.tasks SET seq = 9007199254740993`);
      await expect(store.taskGet({ id: task.id })).rejects.toThrow(/9007199254740993, which is not a safe integer/);
    });

    it("ends every connection it made on close", async () => {
      const schema = freshSchema();
      const store = await open({ schema });
      await store.listen({ onChanges: () => undefined, onGap: () => undefined });
      await Promise.all([store.taskList({ limit: 1 }), store.taskCountByCategoryAndStatus()]);
      await store.close();
      const left = await admin("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1", [`gobq%${schema}`]);
      expect(left).toStrictEqual([{ n: 0 }]);
    });

    it("refuses a schema migrated by a newer gobq", async () => {
      const schema = freshSchema();
      await migratePostgresStore({ url: url!, schema });
      await admin(`INSERT INTO ${pg.escapeIdentifier(schema)}.migrations (version, name) VALUES (999, 'future')`);
      const error = await openError({ url: url!, schema });
      expect(error.message).toMatch(new RegExp(`\\(schema ${schema}\\): its schema version 999 is newer than this gobq supports \\(2\\)$`));
    });

    it("refuses an unreachable server in one line, without the password", async () => {
      const error = await openError({ url: "postgres://gobq:s3cret@127.0.0.1:1/queue", connectTimeoutMs: 2_000 });
      expect(error.message).toMatch(/^cannot open store postgres:\/\/gobq@127\.0\.0\.1:1\/queue \(schema gobq\): nothing answers there \(.*ECONNREFUSED.*\)$/);
      expect(error.message).not.toContain("s3cret");
    });

    it("refuses a database that does not exist, a bad URL and a bad schema name", async () => {
      const missing = new URL(url!);
      missing.pathname = "/gobq_no_such_database";
      expect((await openError({ url: missing.toString() })).message).toMatch(/database "gobq_no_such_database" does not exist$/);
      expect((await openError({ url: "postgres://u:pw@[bad" })).message).toBe(
        "cannot open store: the PostgreSQL URL is not valid (expected postgres://USER@HOST:PORT/DB)",
      );
      expect((await openError({ url: url!, schema: "Bad-Name" })).message).toMatch(/^cannot open store: schema must be a lowercase identifier/);
    });
  });
});
