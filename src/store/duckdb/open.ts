/** Opening a DuckDB store file: folder, lock, schema, connections (inside the store thread). */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Store } from "../store.js";
import { createDuckDbStore } from "./duckdb-store.js";
import { storeOpenError } from "./open-error.js";
import { prepareSaveTasks } from "./save-many.js";
import { migrate } from "./schema.js";

/** Where the DuckDB store lives. */
export interface DuckDbStoreOptions {
  /** The database file; its folder is created if missing. No default here: main.ts picks it. */
  path: string;
}

/**
 * Opens (creating if needed) the DuckDB store file and brings its schema up to date — the
 * bare file, without the write-ahead log. Throws `StoreOpenError` with one clear line if
 * the file is locked by another process, the path is not writable, or the file is not a
 * gobq store.
 */
export async function openDuckDbFile(options: DuckDbStoreOptions): Promise<Store> {
  const path = resolve(options.path);
  const release = (): void => {};
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
    return createDuckDbStore({ path, instance, writer, reader, release });
  } catch (error) {
    instance?.closeSync();
    release();
    throw storeOpenError(path, error);
  }
}
