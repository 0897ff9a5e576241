/**
 * The LISTEN side of change announcements: one dedicated connection (a pooled one could be
 * handed to a query and would miss notifications) that comes back after it drops.
 *
 * A drop is noticed when the socket closes or errors, or when a periodic `SELECT 1` gets no
 * answer in time (a silent network). Then it reconnects with backoff, LISTENs again, and
 * calls `onGap`: whatever was announced meanwhile is lost, and waiters should look again.
 */
import pg from "pg";
import type { TaskChangeListener } from "../shared-store.js";
import { decodeCategory, decodeChanges } from "./notify.js";

/** How the listener connects and what it listens to. */
export interface ChangeListenerOptions {
  /** Connection settings, as for the pool; a fresh client is made from them per attempt. */
  config: pg.ClientConfig;
  channel: string;
  listener: TaskChangeListener;
  /** How often the connection is checked. */
  checkEveryMs: number;
}

/** A running listener. */
export interface ChangeListener {
  /** Ends the connection and stops reconnecting. */
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** Connects and LISTENs; rejects if the first connection fails (the caller decides what then). */
export async function startChangeListener(options: ChangeListenerOptions): Promise<ChangeListener> {
  const { config, channel, listener } = options;
  let closed = false;
  let current: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;
  // Clients given up on: their late notifications are dropped.
  const retired = new WeakSet<pg.Client>();

  const deliver = (payload: string | undefined): void => {
    const category = payload?.startsWith("{") ? decodeCategory(payload) : undefined;
    if (category) return call(() => listener.onCategory?.(category));
    const changes = payload === undefined ? undefined : decodeChanges(payload);
    // A payload this driver cannot read announced something: treat it as a gap, not silence.
    call(() => (changes ? listener.onChanges(changes) : listener.onGap()));
  };

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client(config);
    // Without a listener, an 'error' event would crash the process; 'end' follows it.
    client.on("error", () => undefined);
    client.on("notification", (message) => {
      if (!closed && !retired.has(client) && message.channel === channel) deliver(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      retired.add(client);
      void client.end().catch(() => undefined);
      throw error;
    }
    client.on("end", () => lost(client));
    return client;
  }

  // Called once per dropped client; a client already replaced is ignored.
  function lost(client: pg.Client): void {
    if (client !== current || closed) return;
    current = undefined;
    retired.add(client);
    // end() may wait on a dead socket: do not let it hold up the reconnect.
    void client.end().catch(() => undefined);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        (client) => {
          if (closed) return void client.end().catch(() => undefined);
          current = client;
          retryMs = FIRST_RETRY_MS;
          call(() => listener.onGap());
        },
        () => {
          if (closed) return;
          retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
          scheduleReconnect();
        },
      );
    }, retryMs);
  }

  const check = setInterval(() => {
    const client = current;
    if (!client) return;
    client.query("SELECT 1").catch(() => lost(client));
  }, options.checkEveryMs);
  check.unref();

  try {
    current = await connect();
  } catch (error) {
    clearInterval(check);
    throw error;
  }

  return {
    async close() {
      closed = true;
      clearInterval(check);
      if (retryTimer) clearTimeout(retryTimer);
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}

// A throwing callback must not break the connection's message handling; it surfaces as an
// uncaught exception instead, as a bug in the caller should.
function call(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
