/**
 * The `gobq` client commands against a server started with --tokens: they send GOBQ_TOKEN;
 * without it, or with a token whose role may not make the call, they fail with one line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GobqProcess, runGobq, startGobq, tempDir } from "../support/gobq-process.js";

const PRODUCER = "cli-producer-5e0a9d2c7b14f3e8";
const WORKER = "cli-worker-1c7f3b9e2d5a4086";
const ADMIN = "cli-admin-a8d4e6f20b9c1357";

describe("gobq client commands with GOBQ_TOKEN", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: GobqProcess | undefined;
  beforeAll(async () => {
    tmp = tempDir();
    const file = join(tmp.dir, "tokens.json");
    writeFileSync(file, JSON.stringify([{ token: PRODUCER, role: "producer" }, { token: WORKER, role: "worker" }, { token: ADMIN, role: "admin" }]));
    server = await startGobq("memory:", ["--tokens", file]);
  });
  afterAll(async () => {
    await server?.stop();
    tmp?.cleanup();
  });

  const gobq = (args: string[], token?: string) =>
    runGobq([...args, "--server", server!.url], 20_000, token === undefined ? {} : { GOBQ_TOKEN: token });

  it("work with a token whose role allows the call", async () => {
    const enqueued = await gobq(["enqueue", "hello", "--category", "cli"], PRODUCER);
    expect(enqueued).toMatchObject({ code: 0, stderr: "" });
    expect(enqueued.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(await gobq(["purge", "--older-than", "1d"], ADMIN)).toMatchObject({ code: 0, stderr: "" });
  });

  it("fail with one line without a token, saying to set GOBQ_TOKEN", async () => {
    const r = await gobq(["stats"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "gobq: [unauthenticated] no bearer token: send the header authorization: Bearer <token>; set GOBQ_TOKEN to a token the server accepts\n",
    );
  });

  it("fail with one line when the token's role may not make the call", async () => {
    expect(await gobq(["stats"], WORKER)).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "gobq: [permission_denied] role worker may not call gobq.v1.TaskService/GetStats\n",
    });
    expect(await gobq(["purge", "--older-than", "1d"], PRODUCER)).toMatchObject({
      code: 1,
      stderr: "gobq: [permission_denied] role producer may not call gobq.v1.TaskService/PurgeTasks\n",
    });
  });
});
