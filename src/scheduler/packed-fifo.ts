/**
 * A FIFO of text records ordered by an increasing number (a task's readySeq), packed into
 * byte chunks outside the JS heap.
 *
 * A million queued tasks as JS objects cost ~500 bytes each on the heap, and V8 lets the
 * heap grow well past what is live before it collects. Packed here a queued task costs its
 * record's bytes plus 13 bytes of bookkeeping, in memory the garbage collector never scans.
 *
 * Records leave from the head (`shift`), or from anywhere by their number (`remove`, for a
 * cancel): a removed record is marked and skipped, and its bytes go with its chunk once
 * every record before it has left. Numbers must be pushed in increasing order, so a chunk's
 * records, and the chunks, are sorted and a record is found by binary search.
 */

/** Records per chunk: a new lane starts small, so thousands of sparse lanes stay cheap. */
const FIRST_RECORDS = 16;
const MAX_RECORDS = 4096;
const FIRST_BYTES = 1024;
/** A chunk stops taking records past this many bytes (a bigger record gets a chunk of its own size). */
const MAX_BYTES = 256 * 1024;

class Chunk {
  readonly seqs: Float64Array;
  /** ends[i]: where record i's bytes end; record i starts where record i - 1 ends. */
  readonly ends: Uint32Array;
  readonly removed: Uint8Array;
  bytes: Buffer;
  count = 0;
  head = 0;

  constructor(capacity: number, bytes: number) {
    this.seqs = new Float64Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.removed = new Uint8Array(capacity);
    this.bytes = Buffer.allocUnsafeSlow(bytes);
  }

  get used(): number {
    return this.count === 0 ? 0 : this.ends[this.count - 1]!;
  }

  /** Whether the record fits without passing the chunk's limits (an empty chunk takes anything). */
  fits(length: number): boolean {
    if (this.count === 0) return true;
    return this.count < this.seqs.length && this.used + length <= MAX_BYTES;
  }

  append(seq: number, record: string, length: number): void {
    const at = this.used;
    if (at + length > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(at + length, Math.min(this.bytes.length * 2, MAX_BYTES)));
      this.bytes.copy(grown, 0, 0, at);
      this.bytes = grown;
    }
    this.bytes.write(record, at, length, "utf8");
    this.seqs[this.count] = seq;
    this.ends[this.count] = at + length;
    this.count++;
  }

  text(i: number): string {
    return this.bytes.toString("utf8", i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }

  /** Moves `head` past removed records; whether a record remains. */
  skipRemoved(): boolean {
    while (this.head < this.count && this.removed[this.head] === 1) this.head++;
    return this.head < this.count;
  }

  /** Index of the record numbered `seq` at or after head, or -1. */
  find(seq: number): number {
    let lo = this.head;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.seqs[mid]!;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** See the module comment. */
export class PackedFifo {
  private chunks: Chunk[] = [];
  private first = 0;
  private nextCapacity = FIRST_RECORDS;
  private count = 0;

  /** Records in the FIFO (removed ones excluded). */
  get length(): number {
    return this.count;
  }

  /** Appends a record; `seq` must be higher than any pushed before. */
  push(seq: number, record: string): void {
    const length = Buffer.byteLength(record, "utf8");
    let tail = this.chunks[this.chunks.length - 1];
    if (tail === undefined || !tail.fits(length)) {
      tail = new Chunk(this.nextCapacity, Math.max(length, FIRST_BYTES));
      this.nextCapacity = Math.min(this.nextCapacity * 2, MAX_RECORDS);
      this.chunks.push(tail);
    }
    tail.append(seq, record, length);
    this.count++;
  }

  /** The number of the head record, or undefined when empty. */
  peekSeq(): number | undefined {
    const c = this.headChunk();
    return c === undefined ? undefined : c.seqs[c.head];
  }

  /** The head record's text, or undefined when empty. */
  peek(): string | undefined {
    const c = this.headChunk();
    return c === undefined ? undefined : c.text(c.head);
  }

  /** Removes and returns the head record's text. */
  shift(): string | undefined {
    const c = this.headChunk();
    if (c === undefined) return undefined;
    const text = c.text(c.head);
    c.head++;
    this.count--;
    this.dropSpent();
    return text;
  }

  /** Removes the record numbered `seq` if it is still here; says whether it was. */
  remove(seq: number): boolean {
    let lo = this.first;
    let hi = this.chunks.length - 1;
    // The last chunk whose first number is at most seq.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid]!.seqs[0]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    const c = this.chunks[lo];
    const i = c === undefined ? -1 : c.find(seq);
    if (c === undefined || i < 0 || c.removed[i] === 1) return false;
    c.removed[i] = 1;
    this.count--;
    this.dropSpent();
    return true;
  }

  /** The first chunk with a record left at its head, after dropping spent ones. */
  private headChunk(): Chunk | undefined {
    this.dropSpent();
    return this.chunks[this.first];
  }

  private dropSpent(): void {
    for (let c = this.chunks[this.first]; c !== undefined && !c.skipRemoved(); c = this.chunks[this.first]) {
      this.chunks[this.first++] = undefined as unknown as Chunk;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
      this.nextCapacity = FIRST_RECORDS; // a lane that emptied starts small again
    } else if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
