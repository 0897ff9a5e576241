/**
 * A FIFO of records — an id and a text — ordered by an increasing number (a task's
 * readySeq), packed into byte chunks outside the JS heap.
 *
 * A million queued tasks as JS objects cost ~500 bytes each on the heap, and V8 lets the
 * heap grow well past what is live before it collects. Packed here a queued task costs its
 * text's bytes, 16 for its id (a UUID as its bytes, not 36 characters) and 13 of
 * bookkeeping, in memory the garbage collector never scans.
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// flags of a record
const REMOVED = 1;
/** The id is not a lowercase UUID: its UTF-8 bytes follow a length byte instead. */
const TEXT_ID = 2;

/** One record as it went in. */
export interface FifoRecord {
  id: string;
  text: string;
}

class Chunk {
  readonly seqs: Float64Array;
  /** ends[i]: where record i's bytes end; record i starts where record i - 1 ends. */
  readonly ends: Uint32Array;
  readonly flags: Uint8Array;
  bytes: Buffer;
  count = 0;
  head = 0;

  constructor(capacity: number, bytes: number) {
    this.seqs = new Float64Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
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

  append(seq: number, id: string, uuid: boolean, text: string, length: number): void {
    const at = this.used;
    if (at + length > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(at + length, Math.min(this.bytes.length * 2, MAX_BYTES)));
      this.bytes.copy(grown, 0, 0, at);
      this.bytes = grown;
    }
    let textAt: number;
    if (uuid) {
      // Five hex runs between the dashes, 4 + 2 + 2 + 2 + 6 bytes.
      this.bytes.write(id.slice(0, 8), at, "hex");
      this.bytes.write(id.slice(9, 13), at + 4, "hex");
      this.bytes.write(id.slice(14, 18), at + 6, "hex");
      this.bytes.write(id.slice(19, 23), at + 8, "hex");
      this.bytes.write(id.slice(24), at + 10, "hex");
      textAt = at + 16;
    } else {
      this.flags[this.count] = TEXT_ID;
      this.bytes[at] = this.bytes.write(id, at + 1, "utf8");
      textAt = at + 1 + this.bytes[at]!;
    }
    this.bytes.write(text, textAt, "utf8");
    this.seqs[this.count] = seq;
    this.ends[this.count] = at + length;
    this.count++;
  }

  record(i: number): FifoRecord {
    const at = i === 0 ? 0 : this.ends[i - 1]!;
    const end = this.ends[i]!;
    if ((this.flags[i]! & TEXT_ID) !== 0) {
      const idEnd = at + 1 + this.bytes[at]!;
      return { id: this.bytes.toString("utf8", at + 1, idEnd), text: this.bytes.toString("utf8", idEnd, end) };
    }
    const hex = this.bytes.toString("hex", at, at + 16);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return { id, text: this.bytes.toString("utf8", at + 16, end) };
  }

  /** Moves `head` past removed records; whether a record remains. */
  skipRemoved(): boolean {
    while (this.head < this.count && (this.flags[this.head]! & REMOVED) !== 0) this.head++;
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

  /**
   * Appends a record; `seq` must be higher than any pushed before. An id is a UUID in
   * gobq; any other (at most 255 bytes) is kept as text.
   */
  push(seq: number, id: string, text: string): void {
    const uuid = UUID.test(id);
    const idLength = uuid ? 16 : 1 + Buffer.byteLength(id, "utf8");
    if (idLength > 256) throw new RangeError(`record id longer than 255 bytes: ${id.slice(0, 40)}…`);
    const length = idLength + Buffer.byteLength(text, "utf8");
    let tail = this.chunks[this.chunks.length - 1];
    if (tail === undefined || !tail.fits(length)) {
      tail = new Chunk(this.nextCapacity, Math.max(length, FIRST_BYTES));
      this.nextCapacity = Math.min(this.nextCapacity * 2, MAX_RECORDS);
      this.chunks.push(tail);
    }
    tail.append(seq, id, uuid, text, length);
    this.count++;
  }

  /** The number of the head record, or undefined when empty. */
  peekSeq(): number | undefined {
    const c = this.headChunk();
    return c === undefined ? undefined : c.seqs[c.head];
  }

  /** The head record, or undefined when empty. */
  peek(): FifoRecord | undefined {
    const c = this.headChunk();
    return c === undefined ? undefined : c.record(c.head);
  }

  /** Removes and returns the head record. */
  shift(): FifoRecord | undefined {
    const c = this.headChunk();
    if (c === undefined) return undefined;
    const record = c.record(c.head);
    c.head++;
    this.count--;
    this.dropSpent();
    return record;
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
    if (c === undefined || i < 0 || (c.flags[i]! & REMOVED) !== 0) return false;
    c.flags[i]! |= REMOVED;
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
