/**
 * Two real servers on one scheduler: one serving Connect binary unary calls on its fast path
 * (fast-unary.ts), one leaving every call to connect-node. Both read one clock that stands
 * still, so the same request gets the same bytes back from each — but for the ids and lease
 * tokens of tasks made by the call itself, which `masked` blanks.
 */
import * as http2 from "node:http2";
import type { Interceptor } from "@connectrpc/connect";
import type { Clock } from "../../src/scheduler/clock.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createRoutes } from "../../src/server/routes.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { createMemoryStore } from "../../src/store/memory/index.js";

/** The message limit of both servers: small, so that an oversize body is cheap to send. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Time that stands still, with real timers (long-polls and deadlines still end). */
const frozenClock: Clock = {
  now: () => Date.UTC(2026, 0, 1),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A started pair; stop it in afterAll. */
export interface ServerPair {
  fast: RunningServer;
  plain: RunningServer;
  scheduler: Scheduler;
  /** Unexpected handler errors the routes logged (none in a healthy run). */
  logged: unknown[];
  stop(): Promise<void>;
}

/** Starts both servers on 127.0.0.1 port 0 (HTTP/2 and HTTP/1.1 listeners each). */
export async function startServerPair(options: { auth?: Interceptor } = {}): Promise<ServerPair> {
  const scheduler = await Scheduler.open({ store: createMemoryStore(), clock: frozenClock });
  const logged: unknown[] = [];
  const routes = createRoutes({ scheduler, clock: frozenClock, log: { error: (obj) => logged.push(obj) }, auth: options.auth });
  const start = (fastUnary: boolean) =>
    startServer({
      routes,
      listen: { host: "127.0.0.1", port: 0 },
      httpListen: { host: "127.0.0.1", port: 0 },
      maxMessageBytes: MAX_MESSAGE_BYTES,
      fastUnary,
    });
  const started: RunningServer[] = [];
  try {
    started.push(await start(true), await start(false));
  } catch (err) {
    await Promise.all(started.map((s) => s.close(0)));
    await scheduler.stop();
    throw err;
  }
  const [fast, plain] = started as [RunningServer, RunningServer];
  return {
    fast,
    plain,
    scheduler,
    logged,
    async stop() {
      scheduler.drain();
      try {
        await Promise.all([fast.close(1_000), plain.close(1_000)]);
      } finally {
        await scheduler.stop();
      }
    },
  };
}

/** What a client sees of a unary answer. */
export interface RawAnswer {
  status: number;
  /** Response headers but the date, sorted by name. */
  headers: Record<string, string>;
  body: Buffer;
}

/** A Connect unary request as the SDK sends it: POST, protobuf binary. */
export interface RawRequest {
  path: string;
  body: Uint8Array;
  headers?: http2.OutgoingHttpHeaders;
  /** Called once the request is sent; may cut the stream. */
  sent?(stream: http2.ClientHttp2Stream): void;
}

/** Sends `req` on `session` and reads the whole answer; rejects if the stream is reset. */
export function rawCall(session: http2.ClientHttp2Session, req: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": req.path, "content-type": "application/proto", ...req.headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (head = h));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {}); // the close that follows says how it ended
    stream.on("close", () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) reject(new Error(`stream reset with code ${stream.rstCode}`));
      else resolve({ status: Number(head[":status"]), headers: visibleHeaders(head), body: Buffer.concat(chunks) });
    });
    stream.end(req.body);
    req.sent?.(stream);
  });
}

function visibleHeaders(head: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(head).sort()) {
    if (key.startsWith(":") || key === "date") continue;
    const value = head[key];
    out[key] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** `answer` with each of `secrets` (ids, lease tokens) blanked in its body, byte for byte. */
export function masked(answer: RawAnswer, secrets: readonly string[]): RawAnswer {
  let body = answer.body.toString("latin1");
  for (const s of secrets) body = body.split(s).join("#".repeat(s.length));
  return { ...answer, body: Buffer.from(body, "latin1") };
}
