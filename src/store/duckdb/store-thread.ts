/**
 * The store thread: DuckDB lives here, off the event loop that serves RPCs.
 *
 * DuckDB's appender and its flush are synchronous; folding thousands of rows would hold the
 * server's event loop for tens of milliseconds and every RPC with it. Here they hold only
 * this thread. The main thread sends `{ id, op, args }`; each op is a Store method or
 * `foldSegments`, run one message at a time in arrival order; the answer is
 * `{ id, value }` or `{ id, error: { name, message } }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Store } from "../store.js";
import { type FoldRequest, foldSegmentsInto } from "../wal/fold.js";
import { openDuckDbFile } from "./open.js";

/** A request to the store thread. */
export interface ThreadRequest {
  id: number;
  op: keyof Store | "foldSegments";
  args: unknown;
}

/** The answer to one request. */
export type ThreadReply = { id: number; value: unknown } | { id: number; error: { name: string; message: string } };

const port = parentPort!;
const opening = openDuckDbFile({ path: (workerData as { path: string }).path });
// Reads may overlap (they use their own connection); the store serialises its writes.
port.on("message", (req: ThreadRequest) => {
  void (async () => {
    try {
      const store = await opening;
      const value =
        req.op === "foldSegments"
          ? await foldSegmentsInto(store, req.args as FoldRequest)
          : await (store[req.op] as (args: unknown) => Promise<unknown>).call(store, req.args);
      port.postMessage({ id: req.id, value } satisfies ThreadReply);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ id: req.id, error: { name: e.constructor.name, message: e.message } } satisfies ThreadReply);
    }
  })();
});
