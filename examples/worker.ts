/**
 * A worker with two task types that reports progress. Run it next to `npm start`:
 * `npx tsx examples/worker.ts`, then `npx tsx examples/producer.ts`. Ctrl-C stops it
 * gracefully: running tasks finish, the rest go back to the queue.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { NonRetryableError, Worker } from "@gobq/sdk";
import type { ExampleTasks } from "./producer.js";

const worker = new Worker<ExampleTasks>({
  baseUrl: process.env["GOBQ_SERVER"] ?? "http://127.0.0.1:50051",
  token: process.env["GOBQ_TOKEN"], // when the server checks tokens
  category: "media",
  concurrency: 4,
  handleSignals: true,
});

worker.register("resize_image", async ({ args: [path], kwargs: { width }, signal, progress }) => {
  for (let step = 1; step <= 5; step++) {
    await sleep(200, undefined, { signal }); // a cancel or shutdown aborts the wait
    progress(step * 20, `resizing ${path} to ${width}px: step ${step} of 5`);
  }
  return { path: path.replace(/(\.\w+)$/, `-${width}$1`) };
});

worker.register("send_email", async ({ args: [to], kwargs: { subject } }) => {
  if (!to.includes("@")) throw new NonRetryableError(`not an address: ${to}`); // no point retrying
  console.log(`sending "${subject}" to ${to}`);
  return { sent: true };
});

await worker.start();
console.log(`worker ${worker.workerId} leasing from category "media"`);
