/** `gobq serve`: opens the store, rebuilds the queues, serves until SIGTERM/SIGINT, then shuts down cleanly. */
import type { Logger } from "pino";
import type { ResolvedServeOptions } from "../config/config.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { createRoutes } from "../server/routes.js";
import { startServer } from "../server/server.js";
import { openStore } from "../store/open.js";

/** Runs the server; resolves once it has shut down after a signal. */
export async function serve(config: ResolvedServeOptions, log: Logger): Promise<void> {
  const store = await openStore(config.store);
  let scheduler: Scheduler;
  try {
    scheduler = await Scheduler.open({
      store,
      log,
      retentionMs: config.retentionMs,
      limits: { maxPayloadBytes: config.maxPayloadBytes, maxResultBytes: config.maxPayloadBytes },
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const server = await startServer({
    routes: createRoutes({ scheduler, log }),
    listen: config.listen,
    httpListen: config.httpListen,
    maxMessageBytes: config.maxMessageBytes,
  }).catch(async (err) => {
    await scheduler.stop();
    throw err;
  });
  log.info(
    { grpc: server.url, http: server.httpUrl, store: config.store.kind === "duckdb" ? config.store.path : "memory" },
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
  await scheduler.stop();
  log.info("stopped");
}
