/**
 * The write-ahead log on disk: one JSON line per group commit, appended and fdatasync'ed.
 *
 * A commit is acknowledged only after its line is synced, so a line cut short by a crash
 * was never acknowledged: reading drops an unparsable last line, and refuses a damaged
 * line anywhere else (that is corruption, not a crash). Logs rotate: a new segment starts
 * when a fold begins, and segments are deleted once the store holds what they hold.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Task } from "../../task/task.js";

/** One logged group commit. */
export interface WalRecord {
  inserted: Task[];
  updated: Task[];
}

/** A log segment's path and number. */
interface Segment {
  path: string;
  n: number;
}

/** The segments of the log of `base` (e.g. …/gobq.duckdb), oldest first. */
export function listSegments(base: string): Segment[] {
  const prefix = `${basename(base)}.gobq-log.`;
  return readdirSync(dirname(base))
    .filter((f) => f.startsWith(prefix) && /^\d+$/.test(f.slice(prefix.length)))
    .map((f) => ({ path: join(dirname(base), f), n: Number(f.slice(prefix.length)) }))
    .sort((a, b) => a.n - b.n);
}

/** Reads every record of a segment; see the module comment for a torn last line. */
export function readSegment(path: string): WalRecord[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const records: WalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    try {
      records.push(revive(JSON.parse(line) as WalRecord));
    } catch (err) {
      const last = lines.slice(i + 1).every((l) => l === "");
      if (last) break; // cut short by a crash before it was synced: never acknowledged
      throw new Error(`write-ahead log ${path} is damaged at line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return records;
}

// JSON drops undefined fields; the Task type has them all, as undefined.
function revive(r: WalRecord): WalRecord {
  const fix = (t: Task): Task => ({ ...BLANK, ...t });
  return { inserted: r.inserted.map(fix), updated: r.updated.map(fix) };
}

const BLANK: Partial<Task> = {
  result: undefined,
  error: undefined,
  retryPolicy: undefined,
  startedAt: undefined,
  completedAt: undefined,
  runAt: undefined,
  nextAttemptAt: undefined,
  timeoutMs: undefined,
  idempotencyKey: undefined,
  lease: undefined,
  readySeq: undefined,
  readyAt: undefined,
};

/**
 * Appends records to the current segment of a log. Appends are asynchronous (the sync
 * waits in the thread pool, not on the event loop) and must not overlap: the group commit
 * makes one at a time.
 */
export class WalWriter {
  private file: FileHandle;
  private segment: Segment;

  private constructor(
    private readonly base: string,
    segment: Segment,
    file: FileHandle,
  ) {
    this.segment = segment;
    this.file = file;
  }

  /** Opens a new segment after any existing ones. */
  static async open(base: string): Promise<WalWriter> {
    const last = listSegments(base).at(-1);
    const segment = segmentOf(base, (last?.n ?? 0) + 1);
    return new WalWriter(base, segment, await open(segment.path, "a"));
  }

  /** Appends one record and syncs it to disk; it is durable when this resolves. */
  async append(record: WalRecord): Promise<void> {
    await this.file.write(JSON.stringify(record) + "\n");
    await this.file.datasync();
  }

  /** Starts a new segment; returns the number of the finished one (delete it once folded). */
  async rotate(): Promise<number> {
    const finished = this.segment.n;
    const next = segmentOf(this.base, finished + 1);
    const file = await open(next.path, "a");
    const old = this.file;
    this.file = file;
    this.segment = next;
    await old.close();
    return finished;
  }

  /** Deletes every segment numbered up to `n`. */
  dropThrough(n: number): void {
    for (const s of listSegments(this.base)) if (s.n <= n) rmSync(s.path, { force: true });
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

function segmentOf(base: string, n: number): Segment {
  return { path: `${base}.gobq-log.${n}`, n };
}
