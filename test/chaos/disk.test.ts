/**
 * Disk trouble: a store path that cannot be written, a store file another server holds, and
 * writes that start failing while the server runs.
 *
 * Runtime write failures come from a file-size limit (RLIMIT_FSIZE, set with util-linux's
 * `prlimit` on the running server): past it a write fails with EFBIG, and a write that
 * crosses it is cut short — as a full disk does. It needs no root and no mount, and affects
 * only that process, so the restarted server writes normally again.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { setTimeout as pause } from "node:timers/promises";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { TaskStatus } from "@gobq/sdk/gen/task_pb.js";
import { cleanUp, onCleanup } from "../sdk/worker-harness.js";
import { grpcClients } from "../support/clients.js";
import { runGobq, tempDir } from "../support/gobq-process.js";
import { outcome } from "./call-outcome.js";
import { startFileServer } from "./file-server.js";

afterEach(cleanUp);

/** From now on, the process `pid` cannot write past `bytes` into any regular file. */
function limitFileSize(pid: number, bytes: number): void {
  execFileSync("prlimit", [`--pid=${pid}`, `--fsize=${bytes}`]);
}

describe("disk trouble", () => {
  it("refuses to start on a store path it cannot create, with one line naming it and exit code 1", async () => {
    const { dir, cleanup } = tempDir();
    onCleanup(cleanup);
    // Both fail for root too: a folder where the file belongs, a file where a folder belongs.
    mkdirSync(`${dir}/a-folder`);
    writeFileSync(`${dir}/a-file`, "");
    for (const path of [`${dir}/a-folder`, `${dir}/a-file/gobq.duckdb`]) {
      const r = await runGobq(["serve", "--listen", "127.0.0.1:0", "--http-listen", "off", "--store", `duckdb:${path}`]);
      expect({ path, code: r.code, lines: r.stderr.trim().split("\n") }).toEqual({
        path,
        code: 1,
        lines: [expect.stringContaining(`gobq: cannot open store file "${path}": `)],
      });
    }
   }, 60_000);

  it("refuses a second server on a file in use, without disturbing the first", async () => {
    const server = await startFileServer();
    const { tasks } = grpcClients(server.url);
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) acked.push((await tasks.enqueueTask({ name: "x", category: "lock" })).task!.id);
    const second = await runGobq(["serve", "--listen", "127.0.0.1:0", "--http-listen", "off", "--store", server.store]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^gobq: cannot open store file ".*gobq\.duckdb": .*lock/)]);
    // The holder serves on, and a crash of it frees the lock: every acknowledged task survives both.
    acked.push((await tasks.enqueueTask({ name: "x", category: "lock" })).task!.id);
    await server.process.stop("SIGKILL");
    await server.restart();
    const listed = (await tasks.listTasks({ category: "lock", pageSize: 100 })).tasks.map((t) => t.id);
    expect(listed.sort()).toEqual(acked.sort());
   }, 60_000);

  // 100 bytes cuts the log's next record short; 3,000 lets the log take a few records while
  // the store file's own writes fail, so that reads needing the file fail too.
  it.each([100, 3000])(
    "answers UNAVAILABLE once writes fail at runtime (file-size limit %d), acknowledges nothing it did not commit, and a restart has every acknowledged task",
    async (limit) => {
      const server = await startFileServer();
      const { tasks, workers } = grpcClients(server.url);
      const category = "disk";
      const enqueue = () => tasks.enqueueTask({ name: "x", category, kwargs: { pad: "p".repeat(200) } });
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) acked.push((await enqueue()).task!.id);
      // Listing folds the write-ahead log into the store file: the log's next record starts
      // at offset 0, where a small limit cuts it short as a full disk does.
      await tasks.listTasks({ category, pageSize: 1 });
      limitFileSize(server.process.child.pid!, limit);

      const refused: string[] = [];
      for (let i = 0; i < 50 && refused.length < 3; i++) {
        const code = await outcome(enqueue().then((r) => acked.push(r.task!.id)));
        if (code !== "OK") refused.push(code);
        await pause(50);
      }
      expect(refused).toEqual(["Unavailable", "Unavailable", "Unavailable"]);
      // Every other change is refused the same way; reads answer, or say UNAVAILABLE.
      expect(await outcome(workers.leaseTasks({ category, workerId: "w", wait: durationFromMs(0) }))).toBe("Unavailable");
      expect(await outcome(tasks.cancelTask({ id: acked[0]! }))).toBe("Unavailable");
      const reads = [tasks.getTask({ id: acked[0]! }), tasks.getTask({ id: acked.at(-1)! }), tasks.listTasks({ category }), tasks.getStats({})];
      for (const code of await Promise.all(reads.map(outcome))) expect(["OK", "Unavailable"]).toContain(code);

      // The operator's restart: SIGTERM ends the process (with exit code 1 when the file
      // cannot be closed cleanly), and the next one finds every acknowledged task.
      expect(await server.process.stop("SIGTERM")).toEqual(expect.any(Number));
      // Said in log lines, not a stack trace.
      expect(server.process.stderr().split("\n").filter((line) => /^\s+at /.test(line))).toEqual([]);
      await server.restart();
      const listed = new Map((await tasks.listTasks({ category, pageSize: 1000 })).tasks.map((t) => [t.id, t]));
      expect(acked.filter((id) => !listed.has(id))).toEqual([]);
      expect([...listed.values()].every((t) => t.status === TaskStatus.PENDING)).toBe(true);
      // And it writes again.
      expect((await enqueue()).task!.status).toBe(TaskStatus.PENDING);
    },
    60_000,
  );
});
