import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeFullTask, makeTask } from "../storetest/fixtures.js";
import { listSegments, readSegment, recordLine, taskJson, WalWriter, type WalRecord } from "./wal-file.js";

const line = (r: WalRecord): Uint8Array => recordLine(r.inserted.map(taskJson), r.updated.map(taskJson));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function base(): string {
  const dir = mkdtempSync(join(tmpdir(), "gobq-wal-"));
  dirs.push(dir);
  return join(dir, "gobq.duckdb");
}

describe("write-ahead log segments", () => {
  it("reads back every appended record losslessly, segment by segment", async () => {
    const b = base();
    const log = await WalWriter.open(b);
    const full = makeFullTask();
    const bare = makeTask();
    await log.append(line({ inserted: [full], updated: [] }));
    const first = await log.rotate();
    await log.append(line({ inserted: [], updated: [bare] }));
    await log.close();
    expect(listSegments(b).map((s) => s.n)).toEqual([first, first + 1]);
    expect(readSegment(listSegments(b)[0]!.path)).toStrictEqual([{ inserted: [full], updated: [] }]);
    expect(readSegment(listSegments(b)[1]!.path)).toStrictEqual([{ inserted: [], updated: [bare] }]);
  });

  it("drops a last line cut short by a crash, and refuses damage before the end", async () => {
    const b = base();
    const log = await WalWriter.open(b);
    const task = makeTask();
    await log.append(line({ inserted: [task], updated: [] }));
    await log.close();
    const path = listSegments(b)[0]!.path;
    appendFileSync(path, '{"inserted":[{"id":"01');
    expect(readSegment(path)).toStrictEqual([{ inserted: [task], updated: [] }]);
    writeFileSync(path, `{"inserted":[{"id"\n${JSON.stringify({ inserted: [task], updated: [] })}\n`);
    expect(() => readSegment(path)).toThrow(/damaged at line 1/);
  });

  it("starts after the last existing segment and deletes folded ones", async () => {
    const b = base();
    const a = await WalWriter.open(b);
    await a.close();
    const c = await WalWriter.open(b);
    expect(listSegments(b).map((s) => s.n)).toEqual([1, 2]);
    c.dropThrough(1);
    expect(listSegments(b).map((s) => s.n)).toEqual([2]);
    await c.close();
  });
});
