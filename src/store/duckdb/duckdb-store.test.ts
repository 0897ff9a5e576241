import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { StoreOpenError, type Store } from "../store.js";
import { exerciseStore, makeFullTask, makeTask } from "../storetest/index.js";
import { openDuckDbStore } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "gobq-duckdb-test-"));
let files = 0;
const freshPath = (): string => join(root, `store-${++files}`, "gobq.duckdb");
afterAll(() => rmSync(root, { recursive: true, force: true }));

exerciseStore("duckdb", () => openDuckDbStore({ path: freshPath() }));

describe("DuckDB store", () => {
  const opened: Store[] = [];
  const open = async (path: string): Promise<Store> => {
    const store = await openDuckDbStore({ path });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it("keeps every task across close and reopen, and goes on writing", async () => {
    const path = freshPath();
    const first = await open(path);
    const full = makeFullTask({ readySeq: 77 });
    const pending = makeTask({ readySeq: 78 });
    await first.taskSaveMany({ inserted: [full, pending], updated: [] });
    const started = { ...pending, status: "started" as const, readySeq: undefined, seq: 2 };
    await first.taskSaveMany({ inserted: [], updated: [started] });
    await first.close();

    const second = await open(path);
    expect(await second.taskList({ limit: 10 })).toStrictEqual([started, full]);
    expect(await second.taskMaxReadySeq()).toBe(77);
    const next = makeTask();
    await second.taskSaveMany({ inserted: [next], updated: [] });
    await second.close();

    const third = await open(path);
    expect(await third.taskGet({ id: next.id })).toStrictEqual(next);
  });

  it("has every acknowledged write in its files before close, as after a crash", async () => {
    const path = freshPath();
    const store = await open(path);
    const task = makeFullTask();
    await store.taskSaveMany({ inserted: [task], updated: [] });
    await store.taskSaveMany({ inserted: [], updated: [{ ...task, status: "success", lease: undefined }] });

    // A copy of the files as they are now, while the store is still open, is what a
    // restart after kill -9 would find.
    const copy = freshPath();
    mkdirSync(dirname(copy), { recursive: true });
    // Every file of the store: the database, DuckDB's WAL and gobq's log segments.
    for (const f of readdirSync(dirname(path))) {
      if (f.startsWith(basename(path))) copyFileSync(join(dirname(path), f), join(dirname(copy), basename(copy) + f.slice(basename(path).length)));
    }
    const recovered = await open(copy);
    expect(await recovered.taskGet({ id: task.id })).toStrictEqual({ ...task, status: "success", lease: undefined });
  });

  it("keeps category settings across log folds, close and reopen, and in its files before close", async () => {
    const path = freshPath();
    const first = await open(path);
    await first.categoryUpdate({ category: "video", paused: true, maxStartsPerSecond: 2.5 });
    const task = makeTask({ category: "video", readySeq: 1 });
    await first.taskSaveMany({ inserted: [task], updated: [] });
    await first.taskList({ limit: 1 }); // folds the log into the file
    await first.categoryUpdate({ category: "mail", maxRunning: 4 });

    const copy = freshPath();
    mkdirSync(dirname(copy), { recursive: true });
    for (const f of readdirSync(dirname(path))) {
      if (f.startsWith(basename(path))) copyFileSync(join(dirname(path), f), join(dirname(copy), basename(copy) + f.slice(basename(path).length)));
    }
    const expected = [
      { category: "mail", paused: false, maxRunning: 4, maxStartsPerSecond: 0 },
      { category: "video", paused: true, maxRunning: 0, maxStartsPerSecond: 2.5 },
    ];
    expect(await (await open(copy)).categoryList()).toStrictEqual(expected);
    await first.close();

    const second = await open(path);
    expect(await second.categoryList()).toStrictEqual(expected);
    expect(await second.taskGet({ id: task.id })).toStrictEqual(task);
  });

  it("upgrades a file of schema version 1 in place, keeping its tasks", async () => {
    const path = freshPath();
    const task = makeFullTask();
    const first = await open(path);
    await first.taskSaveMany({ inserted: [task], updated: [] });
    await first.close();
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run("DROP TABLE category_settings");
    await connection.run("UPDATE schema_version SET version = 1");
    connection.closeSync();
    instance.closeSync();

    const upgraded = await open(path);
    expect(await upgraded.taskGet({ id: task.id })).toStrictEqual(task);
    expect(await upgraded.categoryUpdate({ category: "default", paused: true })).toMatchObject({ paused: true });
  });

  it("creates missing parent folders", async () => {
    const path = join(root, "deep", "er", "still", "gobq.duckdb");
    const store = await open(path);
    await store.taskSaveMany({ inserted: [makeTask()], updated: [] });
    expect(existsSync(path)).toBe(true);
  });

  it("refuses a file locked by another process, naming the file and the holder", async () => {
    const path = freshPath();
    await (await open(path)).close();
    const holder = await holdInAnotherProcess(path);
    try {
      const error = await openDuckDbStore({ path }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreOpenError);
      expect((error as Error).message).toBe(
        `cannot open store file "${path}": another gobq server or process holds its lock (PID ${holder.pid})`,
      );
    } finally {
      await release(holder);
    }
    const store = await open(path);
    expect(await store.taskList({ limit: 1 })).toStrictEqual([]);
  });

  it("releases the lock on close, so another process can open the file at once", async () => {
    const path = freshPath();
    const store = await open(path);
    await store.taskSaveMany({ inserted: [makeTask()], updated: [] });
    await store.close();
    await release(await holdInAnotherProcess(path));
  });

  it("refuses a file this process already has open", async () => {
    const path = freshPath();
    await open(path);
    await expect(openDuckDbStore({ path })).rejects.toThrow(
      new StoreOpenError(`cannot open store file "${path}": it is already open in this process`),
    );
  });

  it("refuses a path it cannot write, with one line naming the path", async () => {
    const notAFolder = join(root, `plain-file-${++files}`);
    writeFileSync(notAFolder, "not a folder");
    for (const path of [join(notAFolder, "gobq.duckdb"), join(notAFolder, "sub", "gobq.duckdb")]) {
      const error = await openDuckDbStore({ path }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreOpenError);
      const { message } = error as Error;
      expect(message).toMatch(new RegExp(`^cannot open store file "${escape(path)}": the path is not writable \\(.+\\)$`));
      expect(message).not.toContain("\n");
    }
  });

  it("refuses a file that is not a DuckDB database", async () => {
    const path = freshPath();
    await (await open(path)).close();
    writeFileSync(path, "x".repeat(10_000));
    await expect(openDuckDbStore({ path })).rejects.toThrow(
      new StoreOpenError(`cannot open store file "${path}": the file exists but is not a DuckDB database`),
    );
  });

  it("refuses a file written by a newer gobq", async () => {
    const path = freshPath();
    await (await open(path)).close();
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run("UPDATE schema_version SET version = 999");
    connection.closeSync();
    instance.closeSync();
    await expect(openDuckDbStore({ path })).rejects.toThrow(
      new StoreOpenError(`cannot open store file "${path}": its schema version 999 is newer than this gobq supports (2)`),
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// A plain Node process that opens the file with DuckDB and holds it until its stdin ends.
const HOLDER_SCRIPT = `
const { DuckDBInstance } = require(process.argv[1]);
DuckDBInstance.create(process.argv[2]).then(async (instance) => {
  const connection = await instance.connect();
  process.stdout.write("ready\\n");
  process.stdin.resume();
  process.stdin.on("end", () => { connection.closeSync(); instance.closeSync(); process.exit(0); });
}, (error) => { process.stderr.write(String(error.message)); process.exit(1); });
`;

async function holdInAnotherProcess(path: string): Promise<ChildProcessWithoutNullStreams> {
  const duckdb = createRequire(import.meta.url).resolve("@duckdb/node-api");
  const child = spawn(process.execPath, ["-e", HOLDER_SCRIPT, duckdb, path]);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.on("exit", (code) => reject(new Error(`lock holder exited with ${code}: ${stderr}`)));
  });
  return child;
}

async function release(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.stdin.end();
  await exited;
}
