/**
 * Entry point of every child process of the harness: reads its role from argv[2] (JSON),
 * plays it, and exits. If the harness goes away, the child goes too (the IPC channel
 * closes), so no producer or worker outlives a run.
 */
import type { Channel, ParentMessage, RoleSpec } from "./messages.js";
import { runProducer } from "./producer-role.js";
import { runWorker } from "./worker-role.js";
import { loadClient } from "../systems/clients.js";

function createChannel(): Channel {
  const received = new Set<string>();
  const waiters = new Map<string, () => void>();
  process.on("message", (m: ParentMessage) => {
    received.add(m.type);
    waiters.get(m.type)?.();
  });
  return {
    send: (message) => new Promise((resolve) => process.send!(message, () => resolve())),
    waitFor: (type) =>
      received.has(type) ? Promise.resolve() : new Promise((resolve) => waiters.set(type, resolve)),
  };
}

process.once("disconnect", () => process.exit(0));
const channel = createChannel();
try {
  const spec = JSON.parse(process.argv[2] ?? "") as RoleSpec;
  if (spec.role === "baseline") {
    await channel.send({ type: "baseline-done", maxRssKb: process.resourceUsage().maxRSS });
  } else if (spec.role === "producer") {
    await runProducer(spec, await loadClient(spec.system), channel);
  } else {
    await runWorker(spec, await loadClient(spec.system), channel);
  }
  process.exit(0);
} catch (err) {
  await channel.send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
