import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type FifoRecord, PackedFifo } from "./packed-fifo.js";

describe("PackedFifo", () => {
  it("gives records back in order across chunks, skipping removed ones", () => {
    const fifo = new PackedFifo();
    const expected: Array<[number, FifoRecord]> = [];
    // Sizes from empty to bigger than a chunk, text that is not ASCII, ids that are not UUIDs.
    for (let seq = 1; seq <= 10_000; seq++) {
      const text = seq % 997 === 0 ? "é".repeat(200_000) : `${seq}:${"ü☕x".repeat(seq % 7)}`;
      const id = seq % 101 === 0 ? `not-a-uuid-${seq}-ü` : randomUUID();
      fifo.push(seq * 2, id, text);
      expected.push([seq * 2, { id, text }]);
    }
    for (const seq of [2, 4, 3000, 6000, 20_000, 9_994]) {
      const i = expected.findIndex(([s]) => s === seq);
      expect(fifo.remove(seq)).toBe(true);
      expected.splice(i, 1);
    }
    expect(fifo.remove(4)).toBe(false); // already removed
    expect(fifo.remove(5)).toBe(false); // never pushed
    expect(fifo.length).toBe(expected.length);
    const out: Array<[number, FifoRecord]> = [];
    for (let seq = fifo.peekSeq(); seq !== undefined; seq = fifo.peekSeq()) out.push([seq, fifo.shift()!]);
    expect(out).toEqual(expected);
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.remove(6)).toBe(false); // shifted already
  });

  it("takes records again after it emptied, interleaving pushes and shifts", () => {
    const fifo = new PackedFifo();
    const out: string[] = [];
    let seq = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round; i++) fifo.push(++seq, randomUUID(), `r${seq}`);
      if (round % 3 === 0) fifo.remove(seq);
      while (fifo.length > round / 2) out.push(fifo.shift()!.text);
    }
    while (fifo.length > 0) out.push(fifo.shift()!.text);
    const numbers = out.map((t) => Number(t.slice(1)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});
