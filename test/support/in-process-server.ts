/**
 * The real gobq server in the test process: an in-memory store, the scheduler, the routes
 * and both listeners (HTTP/2 and HTTP/1.1) on 127.0.0.1 with ports the OS picks — so that
 * clients of any kind can reach it over real sockets without a child process.
 */
import { Scheduler, type SchedulerOptions } from "../../src/scheduler/scheduler.js";
import { createRoutes, type RoutesOptions } from "../../src/server/routes.js";
import { startServer, type ServerOptions } from "../../src/server/server.js";
import { createMemoryStore } from "../../src/store/memory/index.js";

/** A started in-process server. */
export interface InProcessServer {
  /** HTTP/2 cleartext: gRPC, gRPC-Web and Connect. */
  url: string;
  /** HTTP/1.1: Connect JSON and gRPC-Web. */
  httpUrl: string;
  /** Unexpected handler errors the server logged (none in a healthy run). */
  logged: unknown[];
  /** Shuts down as `gobq serve` does: drain, close the listeners, stop the scheduler. Idempotent. */
  stop(): Promise<void>;
}

/** Milliseconds in-flight calls get to finish when stopping; a test should not wait longer. */
const STOP_GRACE_MS = 1_000;

/** What a test may add: authentication, TLS, overload limits. */
export type InProcessOptions = Pick<RoutesOptions, "auth"> & Pick<ServerOptions, "tls"> & Pick<SchedulerOptions, "overload">;

/** Starts the server on 127.0.0.1 port 0 for both listeners. Call `stop()` in afterEach/afterAll. */
export async function startInProcessServer(options: InProcessOptions = {}): Promise<InProcessServer> {
  const scheduler = await Scheduler.open({ store: createMemoryStore(), overload: options.overload });
  const logged: unknown[] = [];
  const server = await startServer({
    routes: createRoutes({ scheduler, log: { error: (obj) => logged.push(obj) }, auth: options.auth }),
    listen: { host: "127.0.0.1", port: 0 },
    httpListen: { host: "127.0.0.1", port: 0 },
    maxMessageBytes: 4 << 20,
    tls: options.tls,
  }).catch(async (err: unknown) => {
    await scheduler.stop();
    throw err;
  });
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    httpUrl: server.httpUrl!,
    logged,
    stop() {
      stopped ??= (async () => {
        // Draining first answers long-polls and ends watch streams, so close() need not wait.
        scheduler.drain();
        try {
          await server.close(STOP_GRACE_MS);
        } finally {
          await scheduler.stop();
        }
      })();
      return stopped;
    },
  };
}
