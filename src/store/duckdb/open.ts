/** Opening a DuckDB store file: folder, lock, schema, connections. */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { StoreOpenError, type Store } from "../store.js";
import { withWriteAheadLog } from "../wal/logged-store.js";
import { createDuckDbStore } from "./duckdb-store.js";
import { storeOpenError } from "./open-error.js";
import { prepareSaveTasks } from "./save-many.js";
import { migrate } from "./schema.js";

/** Where the DuckDB store lives. */
export interface DuckDbStoreOptions {
  /** The database file; its folder is created if missing. No default here: main.ts picks it. */
  path: string;
}

// DuckDB's file lock is per process: a second instance on the same file in this process
// would open without complaint and corrupt it. Files this process holds open, by absolute path.
const openInThisProcess = new Set<string>();

/**
 * Opens (creating if needed) the DuckDB store file and brings its schema up to date.
 * Throws `StoreOpenError` with one clear line if the file is locked by another process or
 * already open in this one, the path is not writable, or the file is not a gobq store.
 */
export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  const path = resolve(options.path);
  if (openInThisProcess.has(path)) {
    throw new StoreOpenError(`cannot open store file "${path}": it is already open in this process`);
  }
  openInThisProcess.add(path);
  const release = (): void => void openInThisProcess.delete(path);
  let instance: DuckDBInstance | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
    instance = await DuckDBInstance.create(path);
    const writer = await instance.connect();
    const reader = await instance.connect();
    try {
      await migrate(writer, path);
      await prepareSaveTasks(writer);
    } catch (error) {
      writer.closeSync();
      reader.closeSync();
      throw error;
    }
    return await withWriteAheadLog(createDuckDbStore({ path, instance, writer, reader, release }), { base: path });
  } catch (error) {
    instance?.closeSync();
    release();
    throw storeOpenError(path, error);
  }
}
