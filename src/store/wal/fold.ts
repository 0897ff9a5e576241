/** Folding log segments into a store: the latest version of each task, written in one commit. */
import { rmSync } from "node:fs";
import type { Task } from "../../task/task.js";
import type { Store } from "../store.js";
import { readSegment } from "./wal-file.js";

/**
 * Writes what `paths` (oldest first) hold into `store` in one `taskSaveMany`, then deletes
 * them. Reading the files here rather than passing rows lets this run wherever the store
 * runs (a thread of its own) without copying rows between threads.
 */
export async function foldSegmentsInto(store: Store, paths: readonly string[]): Promise<void> {
  const latest = new Map<string, Task>();
  for (const path of paths) {
    for (const r of readSegment(path)) {
      for (const t of r.inserted) latest.set(t.id, t);
      for (const t of r.updated) latest.set(t.id, t);
    }
  }
  if (latest.size > 0) await store.taskSaveMany({ inserted: [], updated: [...latest.values()] });
  for (const path of paths) rmSync(path, { force: true });
}
