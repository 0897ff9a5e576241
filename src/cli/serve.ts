/** `gobq serve`: opens the store, rebuilds the queues, serves until SIGTERM/SIGINT, then shuts down cleanly. */
import type { Logger } from "pino";
import type { ResolvedServeOptions } from "../config/config.js";
import { openScheduler } from "../scheduler/open-scheduler.js";
import type { TaskScheduler } from "../scheduler/task-scheduler.js";
import { createAuth } from "../server/auth.js";
import { createRoutes } from "../server/routes.js";
import { startServer } from "../server/server.js";
import { openStore } from "../store/open.js";

/** Runs the server; resolves once it has shut down after a signal. */
export async function serve(config: ResolvedServeOptions, log: Logger): Promise<void> {
  const store = await openStore(config.store);
  let scheduler: TaskScheduler;
  try {
    scheduler = await openScheduler({
      store,
      log,
      retentionMs: config.retentionMs,
      limits: { maxPayloadBytes: config.maxPayloadBytes, maxResultBytes: config.maxPayloadBytes },
      overload: {
        maxQueued: config.maxQueued,
        maxQueuedPerCategory: config.maxQueuedPerCategory,
        maxWatchers: config.maxWatchers,
        maxPollers: config.maxPollers,
      },
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const server = await startServer({
    routes: createRoutes({ scheduler, log, auth: config.tokens && createAuth({ tokens: config.tokens, log }) }),
    listen: config.listen,
    httpListen: config.httpListen,
    maxMessageBytes: config.maxMessageBytes,
    tls: config.tls,
  }).catch(async (err) => {
    await scheduler.stop();
    throw err;
  });
  log.info(
    {
      grpc: server.url,
      http: server.httpUrl,
      store: describeStore(config.store),
      auth: config.tokens ? `${config.tokens.length} tokens` : "off",
      tls: !config.tls ? "off" : config.tls.clientCa ? "client certificates required" : "on",
    },
    "gobq serving",
  );
  // The machine-readable line tests and scripts wait for: where to connect.
  process.stdout.write(`gobq listening ${server.url}${server.httpUrl ? ` ${server.httpUrl}` : ""}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.info({ signal }, "shutting down: finishing in-flight calls");
  scheduler.drain();
  await server.close(10_000);
  try {
    await scheduler.stop();
  } catch (err) {
    // After a write failure the store cannot close cleanly. Nothing is lost by it: every
    // acknowledged change is in the write-ahead log, which the next start folds in.
    log.error({ err: String(err) }, "stopped, but the store did not close cleanly; the next start recovers what was acknowledged");
    process.exitCode = 1;
    return;
  }
  log.info("stopped");
}

/** The store as logged: a file path, or a database's host and name (never credentials). */
function describeStore(store: ResolvedServeOptions["store"]): string {
  if (store.kind === "duckdb") return store.path;
  if (store.kind === "memory") return "memory";
  const url = new URL(store.url);
  return `postgres ${url.hostname}:${url.port || 5432}${url.pathname} schema ${store.schema}`;
}
