/**
 * The server the chaos tests break: `gobq serve` on a DuckDB file in a fresh folder, which a
 * test may kill and start again on the same file and port — so clients and workers made once
 * find it again by themselves — and which is killed after the test even when it fails.
 * Register `cleanUp` (test/sdk/worker-harness.ts) in afterEach.
 */
import { onCleanup } from "../sdk/worker-harness.js";
import { type GobqProcess, startGobq, tempDir } from "../support/gobq-process.js";

/** A restartable `gobq serve`; see the module comment. */
export interface FileServer {
  /** The HTTP/2 URL, the same after every restart. */
  readonly url: string;
  /** The folder holding the store file and its log. */
  readonly dir: string;
  /** `duckdb:PATH` of the store file. */
  readonly store: string;
  /** The process running now. */
  readonly process: GobqProcess;
  /** Starts the server again on the same file and port (after `process.stop`). */
  restart(): Promise<void>;
}

/** Starts `gobq serve` on a new store file; `extra` flags go to every start. */
export async function startFileServer(extra: string[] = []): Promise<FileServer> {
  const tmp = tempDir("gobq-chaos-");
  onCleanup(tmp.cleanup);
  const store = `duckdb:${tmp.dir}/gobq.duckdb`;
  let current = await startGobq(store, extra);
  onCleanup(() => current.stop("SIGKILL"));
  const url = current.url;
  return {
    url,
    dir: tmp.dir,
    store,
    get process() {
      return current;
    },
    async restart() {
      current = await startGobq(store, [...extra, "--listen", new URL(url).host]);
    },
  };
}
