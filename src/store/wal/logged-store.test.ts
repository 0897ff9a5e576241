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
    // About 300 ms of writes: a fold every 200 ms (nothing was left to fold at open).
    expect(folds.length).toBeLessThanOrEqual(3);
    // Everything saved before a read that scans is in the store when it reads.
    expect((await store.taskList({ limit: 100 })).map((t) => t.id).sort()).toStrictEqual(tasks.map((t) => t.id).sort());
    expect(await inner.taskGet({ id: tasks.at(-1)!.id })).toStrictEqual(tasks.at(-1));
  });
});

describe("the write-ahead log's segments", () => {
  async function logged(inner: Store, dir: string, foldSegments: (request: FoldRequest) => Promise<void>) {
    const store = await withWriteAheadLog(inner, { base: join(dir, "gobq.duckdb"), foldEveryMs: 60_000, foldAtRows: 1_000, segmentRows: 5, foldSegments });
    stores.push(store);
    return store;
  }

  it("read back unfolded tasks from the log as saved, and fold one bounded segment per commit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gobq-logged-"));
    dirs.push(dir);
    const inner = createMemoryStore();
    const folds: FoldRequest[] = [];
    const store = await logged(inner, dir, async (request) => {
      folds.push(request);
      await foldSegmentsInto(inner, request);
    });
    const tasks = Array.from({ length: 23 }, (_, i) => makeTask({ idempotencyKey: i % 4 === 0 ? `k${i}` : undefined, kwargs: { i, text: "é☕" } }));
    for (let i = 0; i < tasks.length; i += 3) await store.taskSaveMany({ inserted: tasks.slice(i, i + 3), updated: [] });
    // Later versions of some, in later segments.
    const changed = tasks.slice(0, 8).map((t) => ({ ...t, status: "started" as const, seq: t.seq + 1 }));
    await store.taskSaveMany({ inserted: [], updated: changed.slice(0, 4) });
    await store.taskSaveMany({ inserted: [], updated: changed.slice(4) });
    const latest = [...changed, ...tasks.slice(8)];
    expect(await inner.taskGet({ id: tasks[0]!.id })).toBeUndefined(); // nothing folded yet
    for (const t of latest) expect(await store.taskGet({ id: t.id })).toStrictEqual(t);
    expect(await store.taskGetByIdempotencyKey({ key: "k4" })).toStrictEqual(changed[4]);

    await store.taskList({ limit: 1 }); // a scan folds everything saved before it
    expect(folds.every((f) => f.paths.length === 1)).toBe(true);
    expect(folds.length).toBeGreaterThanOrEqual(4); // 31 rows, a segment closed at 5 or more
    for (const t of latest) expect(await inner.taskGet({ id: t.id })).toStrictEqual(t);
    expect(await store.taskGetByIdempotencyKey({ key: "k20" })).toStrictEqual(tasks[20]);
  });

  it("fold what a failed fold left at the next open, a segment at a time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gobq-logged-"));
    dirs.push(dir);
    const first = await logged(createMemoryStore(), dir, async () => {
      throw new Error("disk gone");
    });
    const tasks = Array.from({ length: 12 }, () => makeTask());
    for (let i = 0; i < tasks.length; i += 2) await first.taskSaveMany({ inserted: tasks.slice(i, i + 2), updated: [] });
    await expect(first.taskList({ limit: 1 })).rejects.toThrow(/cannot be written/);
    await first.close(); // leaves its segments: they were never folded

    const inner = createMemoryStore();
    const folds: FoldRequest[] = [];
    await logged(inner, dir, async (request) => {
      folds.push(request);
      await foldSegmentsInto(inner, request);
    });
    expect(folds.length).toBeGreaterThanOrEqual(2);
    expect(folds.every((f) => f.paths.length === 1 && !f.fresh)).toBe(true);
    for (const t of tasks) expect(await inner.taskGet({ id: t.id })).toStrictEqual(t);
  });
});
