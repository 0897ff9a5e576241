/**
 * --max-pollers and --max-watchers on the real server: idle long-polls and watch streams past
 * the limit are refused with RESOURCE_EXHAUSTED instead of each holding ≈ 37 KB of heap for
 * as long as they like, and every slot comes back when its call ends — answered, or its
 * client gone. GetStats reports how many are open.
 */
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskClient, isRetryable } from "@gobq/sdk";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { refusal } from "./refusal.js";
import { startInProcessServer } from "../support/in-process-server.js";
import { cleanUp, onCleanup, until } from "../sdk/worker-harness.js";

afterEach(cleanUp);

async function serve(overload: { maxPollers?: number; maxWatchers?: number }) {
  const server = await startInProcessServer({ overload });
  onCleanup(() => server.stop());
  const transport = createGrpcTransport({ baseUrl: server.url });
  const tasks = createClient(TaskService, transport);
  const open = async () => {
    const s = await tasks.getStats({});
    return { pollers: Number(s.waitingPollers), watchers: Number(s.openWatchers) };
  };
  return { server, tasks, workers: createClient(WorkerService, transport), open };
}

/** The first message of a stream, keeping the stream open. */
async function first<T>(stream: AsyncIterable<T>): Promise<T> {
  const r = await stream[Symbol.asyncIterator]().next();
  if (r.done) throw new Error("the stream ended");
  return r.value;
}

describe("open long-polls and watchers", () => {
  it("refuses a long-poll past --max-pollers, and frees a slot when a poll is answered or its client leaves", async () => {
    const { tasks, workers, open } = await serve({ maxPollers: 3 });
    const leave = new AbortController();
    const poll = (category: string, signal = leave.signal) =>
      workers.leaseTasks({ category, workerId: "w", wait: durationFromMs(30_000) }, { signal });
    const waiting = [poll("idle"), poll("idle"), poll("elsewhere")];
    waiting.forEach((p) => p.catch(() => {})); // ended by the abort below
    await until("three polls wait", async () => (await open()).pollers === 3);

    const refused = await refusal(poll("other"));
    expect([refused.code, isRetryable(refused)]).toEqual([Code.ResourceExhausted, true]);
    // A poll answered at once never waits, so it is not refused.
    expect((await workers.leaseTasks({ category: "other", workerId: "w", wait: durationFromMs(0) })).tasks).toEqual([]);

    await tasks.enqueueTask({ name: "job", category: "idle" });
    const answered = await Promise.race(waiting);
    expect(answered.tasks.map((t) => t.task!.name)).toEqual(["job"]);
    await until("its slot is free", async () => (await open()).pollers === 2);
    waiting.push(poll("idle"));
    waiting.at(-1)!.catch(() => {});
    await until("the new poll waits", async () => (await open()).pollers === 3);

    leave.abort();
    await until("the polls of clients gone are no longer counted", async () => (await open()).pollers === 0);
  });

  it("refuses a watch past --max-watchers, and frees a slot when a watcher leaves", async () => {
    const { tasks, open } = await serve({ maxWatchers: 2 });
    const { task } = await tasks.enqueueTask({ name: "later", runAt: timestampFromMs(Date.now() + 3_600_000) });
    const one = new AbortController();
    const all = new AbortController();
    onCleanup(() => all.abort());
    expect((await first(tasks.watchTask({ id: task!.id }, { signal: one.signal }))).event!.task!.id).toBe(task!.id);
    void first(tasks.watchTasks({}, { signal: all.signal })).catch(() => {});
    await until("two watchers are open", async () => (await open()).watchers === 2);

    for (const stream of [tasks.watchTask({ id: task!.id }), tasks.watchTasks({ category: "x" })] as AsyncIterable<unknown>[]) {
      const refused = await refusal(first(stream));
      expect([refused.code, isRetryable(refused)]).toEqual([Code.ResourceExhausted, true]);
    }
    one.abort();
    await until("the watcher gone is no longer counted", async () => (await open()).watchers === 1);
    const again = new AbortController();
    onCleanup(() => again.abort());
    await expect(first(tasks.watchTask({ id: task!.id }, { signal: again.signal }))).resolves.toBeDefined();
  });

  it("gets the watcher slot back when an SDK caller stops watching early", async () => {
    const { server, tasks, open } = await serve({ maxWatchers: 1 });
    const client = new TaskClient({ baseUrl: server.url });
    const { task } = await tasks.enqueueTask({ name: "later", runAt: timestampFromMs(Date.now() + 3_600_000) });
    for (let i = 0; i < 3; i++) {
      for await (const e of client.watch(task!.id)) {
        expect(e.task.status).toBe("pending");
        break; // seen enough; the task itself goes on
      }
      await until("the watch has ended on the server too", async () => (await open()).watchers === 0);
    }
  });
});
