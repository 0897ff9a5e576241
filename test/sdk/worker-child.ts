/**
 * A worker process for the tests that kill or signal one:
 * `node --import tsx worker-child.ts URL CATEGORY`. With a 1 s lease, it prints
 * "started <id>" when it begins a task; "hold" tasks never finish (so only the lease running
 * out frees them), "brief" tasks finish after 300 ms. SIGTERM stops it gracefully.
 */
import { Worker } from "@gobq/sdk";

const [baseUrl, category] = process.argv.slice(2);
if (!baseUrl || !category) throw new Error("usage: worker-child.ts URL CATEGORY");

const worker = new Worker({ baseUrl, category, leaseMs: 1000, pollWaitMs: 1000, handleSignals: true });
worker.register("hold", ({ task }) => {
  process.stdout.write(`started ${task.id}\n`);
  return new Promise<never>(() => {});
});
worker.register("brief", async ({ task }) => {
  process.stdout.write(`started ${task.id}\n`);
  await new Promise((r) => setTimeout(r, 300));
  return "brief done";
});
await worker.start();
