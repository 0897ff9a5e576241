/**
 * The PostgreSQL `SharedStore`: any number of gobq servers on one database schema.
 * Reads go straight to the pool; every write is one transaction on a pooled connection,
 * announced with NOTIFY; one extra connection LISTENs (listener.ts).
 */
import type pg from "pg";
import { checkStorable } from "../check-storable.js";
import type { SharedStore, TaskChangeListener } from "../shared-store.js";
import type { TaskSaveManyParams } from "../store.js";
import { selectCategorySettings, updateCategory } from "./category-queries.js";
import { startChangeListener, type ChangeListener } from "./listener.js";
import { notifyChanges } from "./notify.js";
import type { SchemaNames } from "./schema.js";
import { enqueueTasks, leaseTasks, modifyTask, modifyTasks, sweepDueTasks } from "./shared-writes.js";
import {
  deleteFinishedTasks,
  selectCountsByCategoryAndStatus,
  selectMaxReadySeq,
  selectNextDueAt,
  selectQueueCounts,
  selectIdsLeasedTo,
  selectTask,
  selectTaskByIdempotencyKey,
  selectTaskList,
  selectUnfinishedTasks,
} from "./task-queries.js";
import { insertTasks, upsertTasks } from "./task-writes.js";
import { inTransaction, readRetrying } from "./transaction.js";

/** What an opened, migrated PostgreSQL store is made of. */
export interface PostgresStoreParts {
  pool: pg.Pool;
  names: SchemaNames;
  /** The store as it may be shown (no password), for error messages. */
  describe: string;
  /** How the change listener connects. */
  listenerConfig: pg.ClientConfig;
  listenerCheckMs: number;
}

/** Builds the store over an opened pool on a migrated schema (see `openPostgresStore`). */
export function createPostgresStore(parts: PostgresStoreParts): SharedStore {
  const { pool, names } = parts;
  let closed = false;
  let closing: Promise<void> | undefined;
  let listening = false;
  let changeListener: ChangeListener | undefined;
  const inFlight = new Set<Promise<unknown>>();

  // Every call is tracked, so that close can let those under way finish before the pool ends.
  function run<T>(operation: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error(`store ${parts.describe} is closed`));
    const result = operation();
    inFlight.add(result);
    const forget = (): void => void inFlight.delete(result);
    result.then(forget, forget);
    return result;
  }

  const transaction = <T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> => run(() => inTransaction(pool, body));
  const read = <T>(query: () => Promise<T>): Promise<T> => run(() => readRetrying(query));

  async function shutDown(): Promise<void> {
    await Promise.allSettled(inFlight);
    await changeListener?.close();
    await pool.end();
  }

  return {
    shared: true,
    taskSaveMany: (params) =>
      run(async () => {
        const rows = [...params.inserted, ...params.updated];
        // Checked before a connection is taken: a refused call costs no round trip.
        rows.forEach(checkStorable);
        if (rows.length > 0) await inTransaction(pool, (client) => saveTasks(client, names, params));
      }),
    taskGet: ({ id }) => read(() => selectTask(pool, names, id)),
    taskGetByIdempotencyKey: ({ key }) => read(() => selectTaskByIdempotencyKey(pool, names, key)),
    taskList: (params) => read(() => selectTaskList(pool, names, params)),
    taskListUnfinished: (params) => read(() => selectUnfinishedTasks(pool, names, params)),
    taskCountByCategoryAndStatus: () => read(() => selectCountsByCategoryAndStatus(pool, names)),
    taskDeleteFinishedMany: ({ completedBefore }) => run(() => deleteFinishedTasks(pool, names, completedBefore)),
    taskMaxReadySeq: () => read(() => selectMaxReadySeq(pool, names)),
    taskEnqueueMany: ({ tasks, now }) =>
      tasks.length === 0 ? run(async () => []) : transaction((client) => enqueueTasks(client, names, tasks, now)),
    taskLeaseMany: (params) => transaction((client) => leaseTasks(client, names, params)),
    taskModify: (params) => transaction((client) => modifyTask(client, names, params)),
    taskModifyMany: (params) =>
      params.edits.length === 0 ? run(async () => []) : transaction((client) => modifyTasks(client, names, params)),
    taskSweepDue: (params) => transaction((client) => sweepDueTasks(client, names, params)),
    taskNextDueAt: () => read(() => selectNextDueAt(pool, names)),
    taskIdsLeasedTo: ({ category, workerId }) => read(() => selectIdsLeasedTo(pool, names, category, workerId)),
    taskQueueCounts: () => read(() => selectQueueCounts(pool, names)),
    categoryList: () => read(() => selectCategorySettings(pool, names)),
    categoryUpdate: (update) => transaction((client) => updateCategory(client, names, update)),
    listen: (listener: TaskChangeListener) =>
      run(async () => {
        if (listening) throw new Error("listen may be called once per store");
        listening = true;
        try {
          changeListener = await startChangeListener({
            config: parts.listenerConfig,
            channel: names.channel,
            listener,
            checkEveryMs: parts.listenerCheckMs,
          });
        } catch (error) {
          listening = false; // the caller may try again
          throw error;
        }
      }),
    close() {
      closed = true;
      closing ??= shutDown();
      return closing;
    },
  };
}

/**
 * One group commit: inserts, then updates (whole rows, inserting missing ones; the last
 * version of each id wins, also over an insert of the same id), announced in that order.
 */
async function saveTasks(client: pg.PoolClient, names: SchemaNames, params: TaskSaveManyParams): Promise<void> {
  const updated = [...new Map(params.updated.map((task) => [task.id, task])).values()];
  const updatedIds = new Set(updated.map((task) => task.id));
  const inserted = params.inserted.filter((task) => !updatedIds.has(task.id));
  await insertTasks(client, names, inserted);
  await upsertTasks(client, names, updated);
  await notifyChanges(client, names, [...inserted, ...updated]);
}
