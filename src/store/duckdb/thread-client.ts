/** The main thread's side of the store thread: a `Store` whose calls are messages. */
import { Worker } from "node:worker_threads";
import { StoreOpenError, type Store } from "../store.js";
import type { FoldRequest } from "../wal/fold.js";
import type { ThreadReply, ThreadRequest } from "./store-thread.js";

/** A store served by the store thread, plus folding of log segments there. */
export interface ThreadStore extends Store {
  foldSegments(request: FoldRequest): Promise<void>;
}

/**
 * Starts the store thread on `path` and resolves once the file is open. The thread runs
 * the TypeScript sources through tsx, as the main thread does (store-thread-entry.mjs).
 */
export async function startStoreThread(path: string): Promise<ThreadStore> {
  const worker = new Worker(new URL("./store-thread-entry.mjs", import.meta.url), {
    workerData: { path },
    // The thread's garbage comes in folds: a segment's rows, parsed, live until its commit,
    // so a large young generation only delays their promotion. V8 grows it to 48 MB (semi-
    // spaces of 16 MB); 6 MB (semi-spaces of 2 MB) cut the thread's heap by ~25 MB at one
    // million rows folded, with no change in fold speed (W6).
    resourceLimits: { maxYoungGenerationSizeMb: 6 },
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let dead: Error | undefined;
  let closed: Error | undefined;
  worker.on("message", (reply: ThreadReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (!p) return;
    if ("error" in reply) {
      const Kind = reply.error.name === "StoreOpenError" ? StoreOpenError : Error;
      p.reject(new Kind(reply.error.message));
    } else p.resolve(reply.value);
  });
  const fail = (err: Error) => {
    dead = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => {
    if (!closed) fail(new Error(`the store thread stopped (exit code ${code})`));
  });

  function call<T>(op: ThreadRequest["op"], args?: unknown): Promise<T> {
    if (closed ?? dead) return Promise.reject(closed ?? dead);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, args } satisfies ThreadRequest);
    });
  }

  const store: ThreadStore = {
    taskSaveMany: (p) => call("taskSaveMany", p),
    taskGet: (p) => call("taskGet", p),
    taskGetByIdempotencyKey: (p) => call("taskGetByIdempotencyKey", p),
    taskList: (p) => call("taskList", p),
    taskListUnfinished: (p) => call("taskListUnfinished", p),
    taskCountByCategoryAndStatus: () => call("taskCountByCategoryAndStatus"),
    taskDeleteFinishedMany: (p) => call("taskDeleteFinishedMany", p),
    taskMaxReadySeq: () => call("taskMaxReadySeq"),
    categoryList: () => call("categoryList"),
    categoryUpdate: (p) => call("categoryUpdate", p),
    foldSegments: (request) => call("foldSegments", request),
    async close() {
      if (dead || closed) return;
      try {
        await call("close");
      } finally {
        // Even when DuckDB cannot close the file (a write failed): a live thread would keep
        // the process from exiting.
        closed = new Error(`store "${path}" is closed`);
        await worker.terminate();
      }
    },
  };
  try {
    await call("taskMaxReadySeq"); // resolves once the file is open, or rejects with why not
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return store;
}
