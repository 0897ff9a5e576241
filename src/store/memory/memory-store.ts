/**
 * The in-memory `Store`: a Map, nothing durable. Used by fast tests and by the embedded mode
 * when no file is wanted. It passes the same conformance suite as the durable drivers, so
 * code tested against it behaves the same on DuckDB.
 */
import { applyCategoryUpdate, isDefaultSettings, type CategorySettings } from "../../task/category-settings.js";
import { isFinal, type Task } from "../../task/task.js";
import type { Store, TaskCount, TaskSaveManyParams } from "../store.js";
import { checkStorable } from "../check-storable.js";
import { copyTask } from "../copy-task.js";

/** Creates an empty in-memory store. Every call returns copies: callers never share its state. */
export function createMemoryStore(): Store {
  const tasks = new Map<string, Task>();
  const categories = new Map<string, CategorySettings>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error("store is closed");
  }

  function saveMany(params: TaskSaveManyParams): void {
    // Check everything before changing anything: a failing call stores nothing.
    const insertedIds = new Set<string>();
    for (const task of params.inserted) {
      if (tasks.has(task.id) || insertedIds.has(task.id)) {
        throw new Error(`task ${task.id}: cannot insert, a task with this id exists`);
      }
      insertedIds.add(task.id);
    }
    const rows = [...params.inserted, ...params.updated];
    rows.forEach(checkStorable);
    const copies = rows.map(copyTask);
    for (const copy of copies) tasks.set(copy.id, copy);
  }

  function list(match: (task: Task) => boolean, order: 1 | -1, limit: number): Task[] {
    assertLimit(limit);
    const found = [...tasks.values()].filter(match);
    found.sort((a, b) => order * compare(a.id, b.id));
    return found.slice(0, limit).map(copyTask);
  }

  return {
    async taskSaveMany(params) {
      assertOpen();
      saveMany(params);
    },
    async taskGet({ id }) {
      assertOpen();
      const task = tasks.get(id);
      return task && copyTask(task);
    },
    async taskGetByIdempotencyKey({ key }) {
      assertOpen();
      return list((task) => task.idempotencyKey === key, 1, 1)[0];
    },
    async taskList(params) {
      assertOpen();
      const { category, status, name, beforeId } = params;
      return list(
        (task) =>
          (category === undefined || task.category === category) &&
          (status === undefined || task.status === status) &&
          (name === undefined || task.name === name) &&
          (beforeId === undefined || task.id < beforeId),
        -1,
        params.limit,
      );
    },
    async taskListUnfinished({ afterId, limit }) {
      assertOpen();
      return list((task) => !isFinal(task.status) && (afterId === undefined || task.id > afterId), 1, limit);
    },
    async taskCountByCategoryAndStatus() {
      assertOpen();
      return countByCategoryAndStatus(tasks.values());
    },
    async taskDeleteFinishedMany({ completedBefore }) {
      assertOpen();
      const doomed = [...tasks.values()].filter(
        (task) => isFinal(task.status) && task.completedAt !== undefined && task.completedAt < completedBefore,
      );
      for (const task of doomed) tasks.delete(task.id);
      return countByCategoryAndStatus(doomed);
    },
    async taskMaxReadySeq() {
      assertOpen();
      let max = 0;
      for (const task of tasks.values()) if (task.readySeq !== undefined && task.readySeq > max) max = task.readySeq;
      return max;
    },
    async categoryList() {
      assertOpen();
      return [...categories.values()].sort((a, b) => compare(a.category, b.category)).map((c) => ({ ...c }));
    },
    async categoryUpdate(update) {
      assertOpen();
      const settings = applyCategoryUpdate(categories.get(update.category), update);
      if (isDefaultSettings(settings)) categories.delete(settings.category);
      else categories.set(settings.category, { ...settings });
      return settings;
    },
    async close() {
      closed = true;
    },
  };
}

// Ordered by category then status, by code unit, as the SQL drivers order them.
function countByCategoryAndStatus(tasks: Iterable<Task>): TaskCount[] {
  const counts = new Map<string, TaskCount>();
  for (const task of tasks) {
    const key = JSON.stringify([task.category, task.status]);
    const count = counts.get(key);
    if (count) count.count++;
    else counts.set(key, { category: task.category, status: task.status, count: 1 });
  }
  return [...counts.values()].sort((a, b) => compare(a.category, b.category) || compare(a.status, b.status));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Same rule as the SQL drivers, so a bad limit fails in tests as it would in production.
function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
}
