import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "../memory/index.js";
import type { Store } from "../store.js";
import { makeTask } from "../storetest/fixtures.js";
import { type FoldRequest, foldSegmentsInto } from "./fold.js";
import { withWriteAheadLog } from "./logged-store.js";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A logged memory store whose folds are counted. */
async function counted(foldEveryMs: number) {
  const dir = mkdtempSync(join(tmpdir(), "gobq-logged-"));
  dirs.push(dir);
  const inner = createMemoryStore();
  const folds: FoldRequest[] = [];
  const store = await withWriteAheadLog(inner, {
    base: join(dir, "gobq.duckdb"),
    foldEveryMs,
    foldSegments: async (request) => {
      folds.push(request);
      await new Promise((r) => setTimeout(r, 20)); // a fold takes a while, as a DuckDB commit does
      await foldSegmentsInto(inner, request);
    },
  });
  stores.push(store);
  return { store, inner, folds };
}

describe("the write-ahead log's folds", () => {
  it("fold a steady stream of writes once a period, not without pause", async () => {
    const { store, inner, folds } = await counted(200);
    const tasks = [];
    for (let i = 0; i < 60; i++) {
      const task = makeTask();
      tasks.push(task);
      await store.taskSaveMany({ inserted: [task], updated: [] });
      await new Promise((r) => setTimeout(r, 5));
    }
    // About 300 ms of writes: a fold every 200 ms, plus the one at open.
    expect(folds.length).toBeLessThanOrEqual(4);
    expect(folds[0]).toStrictEqual({ paths: [], fresh: false });
    // Everything saved before a read that scans is in the store when it reads.
    expect((await store.taskList({ limit: 100 })).map((t) => t.id).sort()).toStrictEqual(tasks.map((t) => t.id).sort());
    expect(await inner.taskGet({ id: tasks.at(-1)!.id })).toStrictEqual(tasks.at(-1));
  });
});
