/** Folding log segments into a store: the latest version of each task, written in one commit. */
import { rmSync } from "node:fs";
import type { Task } from "../../task/task.js";
import type { Store } from "../store.js";
import { readSegment } from "./wal-file.js";

/** Which segments to fold, oldest first. */
export interface FoldRequest {
  paths: string[];
  /**
   * Whether none of these segments was folded before: then a task first inserted in them
   * is not in the store yet, and is inserted (cheap) rather than upserted. False for what a
   * previous process left, which it may have folded already before it stopped.
   */
  fresh: boolean;
}

/**
 * Writes what the segments hold into `store` in one `taskSaveMany`, then deletes them.
 * Reading the files here rather than passing rows lets this run wherever the store runs
 * (a thread of its own) without copying rows between threads.
 */
export async function foldSegmentsInto(store: Store, { paths, fresh }: FoldRequest): Promise<void> {
  const latest = new Map<string, Task>();
  const insertedHere = new Set<string>();
  for (const path of paths) {
    for (const r of readSegment(path)) {
      for (const t of r.inserted) {
        latest.set(t.id, t);
        insertedHere.add(t.id);
      }
      for (const t of r.updated) latest.set(t.id, t);
    }
  }
  const inserted: Task[] = [];
  const updated: Task[] = [];
  for (const t of latest.values()) (fresh && insertedHere.has(t.id) ? inserted : updated).push(t);
  if (latest.size > 0) await store.taskSaveMany({ inserted, updated });
  for (const path of paths) rmSync(path, { force: true });
}
