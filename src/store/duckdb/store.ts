/**
 * The DuckDB store as gobq uses it: the file in a thread of its own (store-thread.ts),
 * behind the write-ahead log (../wal), so that commits cost a log sync and DuckDB's work
 * never holds the event loop.
 */
import { resolve } from "node:path";
import { StoreOpenError, type Store } from "../store.js";
import { withWriteAheadLog } from "../wal/logged-store.js";
import type { DuckDbStoreOptions } from "./open.js";
import { startStoreThread } from "./thread-client.js";

// DuckDB's file lock is per process: a second instance on the same file in this process
// would open without complaint and corrupt it. Files this process holds open, by absolute path.
const openInThisProcess = new Set<string>();

/**
 * Opens (creating if needed) the DuckDB store file, folds any log a previous process left,
 * and brings its schema up to date. Throws `StoreOpenError` with one clear line if the file
 * is locked by another process or already open in this one, the path is not writable, or
 * the file is not a gobq store.
 */
export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  const path = resolve(options.path);
  if (openInThisProcess.has(path)) {
    throw new StoreOpenError(`cannot open store file "${path}": it is already open in this process`);
  }
  openInThisProcess.add(path);
  try {
    const file = await startStoreThread(path);
    const logged = await withWriteAheadLog(file, { base: path, foldSegments: (request) => file.foldSegments(request) }).catch(
      async (err: unknown) => {
        await file.close();
        throw err;
      },
    );
    return {
      ...logged,
      async close() {
        try {
          await logged.close();
        } finally {
          openInThisProcess.delete(path);
        }
      },
    };
  } catch (err) {
    openInThisProcess.delete(path);
    throw err;
  }
}
