/**
 * A producer: enqueues a few tasks of two kinds and follows one to its end.
 * Run `npm start` in one terminal, `npx tsx examples/worker.ts` in another, then
 * `npx tsx examples/producer.ts`.
 */
import { TaskClient } from "@gobq/sdk";

/** The tasks this producer and examples/worker.ts agree on. */
export type ExampleTasks = {
  resize_image: { args: [string]; kwargs: { width: number }; result: { path: string } };
  send_email: { args: [string]; kwargs: { subject: string }; result: { sent: boolean } };
};

// GOBQ_TOKEN: the bearer token, when the server checks tokens.
const client = new TaskClient<ExampleTasks>({ baseUrl: process.env["GOBQ_SERVER"] ?? "http://127.0.0.1:50051", token: process.env["GOBQ_TOKEN"] });

const resize = await client.enqueue("resize_image", { category: "media", args: ["cat.png"], kwargs: { width: 200 }, maxRetries: 2 });
await client.enqueue("send_email", { category: "media", priority: "high", args: ["a@example.com"], kwargs: { subject: "Welcome" } });
console.log(`enqueued ${resize.id}; watching it:`);

for await (const { task } of client.watch(resize.id)) {
  console.log(`  ${task.status.padEnd(9)} ${String(task.progress).padStart(3)}% ${task.progressMessage}`);
}
const done = await client.get(resize.id);
console.log("result:", done.result);
