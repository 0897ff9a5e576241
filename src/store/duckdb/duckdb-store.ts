/**
 * The DuckDB `Store`: one file, one process. Writes (group commits, purges) run one at a
 * time on a write connection; reads use a second connection, so a read never waits behind
 * a long commit and sees only committed data.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { Store } from "../store.js";
import { selectCategorySettings, updateCategorySettings } from "./category-queries.js";
import { deleteFinishedTasks } from "./delete-finished.js";
import { saveTasks } from "./save-many.js";
import {
  selectCountsByCategoryAndStatus,
  selectMaxReadySeq,
  selectTask,
  selectTaskByIdempotencyKey,
  selectTaskList,
  selectUnfinishedTasks,
} from "./task-queries.js";

/** What an opened DuckDB store is made of; `release` runs once everything is closed. */
export interface DuckDbStoreParts {
  path: string;
  instance: DuckDBInstance;
  writer: DuckDBConnection;
  reader: DuckDBConnection;
  release: () => void;
}

/** Builds the store over an opened, migrated file (see `openDuckDbStore`). */
export function createDuckDbStore(parts: DuckDbStoreParts): Store {
  const { path, instance, writer, reader } = parts;
  let closed = false;
  let closing: Promise<void> | undefined;
  // The tail of the write chain; it never rejects, so one failed write does not poison the next.
  let writeTail: Promise<unknown> = Promise.resolve();
  const readsInFlight = new Set<Promise<unknown>>();

  const closedError = (): Error => new Error(`store "${path}" is closed`);

  // The scheduler serialises group commits already; the chain keeps a misuse from
  // interleaving two transactions on the one write connection.
  function write<T>(run: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(closedError());
    const result = writeTail.then(() => run(writer));
    writeTail = result.catch(() => undefined);
    return result;
  }

  function read<T>(run: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(closedError());
    const result = run(reader);
    readsInFlight.add(result);
    const forget = (): void => void readsInFlight.delete(result);
    result.then(forget, forget);
    return result;
  }

  async function shutDown(): Promise<void> {
    await writeTail;
    await Promise.allSettled(readsInFlight);
    try {
      // Folds the WAL into the file so the next open does not replay it.
      await writer.run("CHECKPOINT");
    } finally {
      writer.closeSync();
      reader.closeSync();
      instance.closeSync();
      parts.release();
    }
  }

  return {
    taskSaveMany: (params) => write((connection) => saveTasks(connection, params)),
    taskGet: ({ id }) => read((connection) => selectTask(connection, id)),
    taskGetByIdempotencyKey: ({ key }) => read((connection) => selectTaskByIdempotencyKey(connection, key)),
    taskList: (params) => read((connection) => selectTaskList(connection, params)),
    taskListUnfinished: (params) => read((connection) => selectUnfinishedTasks(connection, params)),
    taskCountByCategoryAndStatus: () => read(selectCountsByCategoryAndStatus),
    taskDeleteFinishedMany: (params) => write((connection) => deleteFinishedTasks(connection, params)),
    taskMaxReadySeq: () => read(selectMaxReadySeq),
    categoryList: () => read((connection) => selectCategorySettings(connection)),
    categoryUpdate: (update) => write((connection) => updateCategorySettings(connection, update)),
    close() {
      closed = true;
      closing ??= shutDown();
      return closing;
    },
  };
}
