/**
 * The token list as operators write it: a file (--tokens) or the same JSON inline
 * (GOBQ_TOKENS), with tokens in plain text or as their SHA-256 (from `sha256sum`). The SDK's
 * TaskClient and Worker send their tokens; a bad list stops `gobq serve` with one line that
 * names the entry and field and never quotes a secret.
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskClient, Worker } from "@gobq/sdk";
import { ConfigError, loadConfig, validate, withDefaults } from "../../src/config/config.js";
import { createAuth } from "../../src/server/auth.js";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";
import { runGobq, tempDir } from "../support/gobq-process.js";

const PRODUCER = "producer-7d1e0c9b5a3f4e21";
const WORKER = "worker-b64c2f81e09d7a35";

/** What `printf %s TOKEN | sha256sum` prints, as the README tells operators to run it. */
function sha256sum(token: string): string {
  return execSync(`printf %s '${token}' | sha256sum`, { encoding: "utf8" }).split(" ")[0]!;
}

const config = (flags: Record<string, string>, env: Record<string, string> = {}) => validate(withDefaults(loadConfig(flags, env)));

/** The ConfigError message for a token list given inline. */
function errorFor(list: string): string {
  try {
    config({}, { GOBQ_TOKENS: list });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("the list was accepted");
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe("a token file with a plain and a hashed token", () => {
  let server: InProcessServer | undefined;
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.stop({ graceMs: 1_000 });
    await server?.stop();
  });

  it("lets the SDK's TaskClient enqueue with one and its Worker run the task with the other", async () => {
    const file = join(tmp.dir, "tokens.json");
    writeFileSync(file, JSON.stringify([{ token: PRODUCER, role: "producer" }, { sha256: sha256sum(WORKER), role: "worker", name: "w1" }]));
    const { tokens } = config({ tokens: file });
    server = await startInProcessServer({ auth: createAuth({ tokens: tokens! }) });

    const client = new TaskClient({ baseUrl: server.url, token: PRODUCER });
    worker = new Worker({ baseUrl: server.url, token: WORKER, category: "auth", pollWaitMs: 200 });
    worker.register("double", ({ args }) => (args[0] as number) * 2);
    await worker.start();
    const task = await client.enqueue("double", { category: "auth", args: [21] });
    const done = await client.waitFor(task.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: "success", result: 42 });

    await expect(new TaskClient({ baseUrl: server.url }).stats()).rejects.toMatchObject({ code: Code.Unauthenticated });
    await expect(new TaskClient({ baseUrl: server.url, token: WORKER }).stats()).rejects.toMatchObject({ code: Code.PermissionDenied });
  });
});

describe("GOBQ_TOKENS", () => {
  it("takes the same list inline and yields the same tokens as the file", () => {
    const list = JSON.stringify([{ token: PRODUCER, role: "producer" }, { sha256: sha256sum(WORKER).toUpperCase(), role: "worker" }]);
    const file = join(tmp.dir, "tokens.json");
    writeFileSync(file, list);
    expect(config({}, { GOBQ_TOKENS: list }).tokens).toEqual(config({ tokens: file }).tokens);
  });

  it("is refused together with --tokens, rather than one silently winning", () => {
    const file = join(tmp.dir, "tokens.json");
    writeFileSync(file, JSON.stringify([{ token: PRODUCER, role: "producer" }]));
    expect(() => config({ tokens: file }, { GOBQ_TOKENS: JSON.stringify([{ token: WORKER, role: "admin" }]) })).toThrow(
      "GOBQ_TOKENS: set either this or --tokens (GOBQ_TOKENS_FILE), not both",
    );
  });
});

describe("a bad list names what is wrong and quotes no secret", () => {
  const SECRET = "s3cret-value-that-must-not-leak";
  it.each([
    ["an unknown role", [{ token: SECRET, role: "root" }], "GOBQ_TOKENS: entry 1: role: must be one of producer, worker, admin"],
    ["no role", [{ token: SECRET }], "GOBQ_TOKENS: entry 1: role: is required"],
    ["a short token", [{ token: "short", role: "admin" }], "GOBQ_TOKENS: entry 1: token: must be at least 16 characters"],
    ["a token with a space", [{ token: `${SECRET} x`, role: "admin" }], "GOBQ_TOKENS: entry 1: token: must be printable ASCII without spaces"],
    ["a bad digest", [{ sha256: "abc", role: "admin" }], "GOBQ_TOKENS: entry 1: sha256: must be 64 hex digits"],
    ["token and sha256", [{ token: SECRET, sha256: "a".repeat(64), role: "admin" }], 'GOBQ_TOKENS: entry 1: needs either "token" or "sha256", not both'],
    ["the token as a key", [{ [SECRET]: "admin", role: "admin" }], "GOBQ_TOKENS: entry 1: has an unknown field; the fields are token, sha256, role, name"],
    ["a map instead of a list", { [SECRET]: "admin" }, "GOBQ_TOKENS: must be a JSON array of entries"],
    ["an empty list", [], "GOBQ_TOKENS: must list at least one token"],
    ["a token listed twice", [{ token: SECRET, role: "producer" }, { token: SECRET, role: "admin" }], "GOBQ_TOKENS: entry 2: the same token as entry 1"],
  ])("%s", (_what, list, expected) => {
    const message = errorFor(JSON.stringify(list));
    expect(message).toContain(expected);
    expect(message).not.toContain(SECRET);
  });

  it("broken JSON gives its position, not the text around it", () => {
    const message = errorFor(`[{"token": "${SECRET}", "role": "admin"`);
    expect(message).toMatch(/^GOBQ_TOKENS: not valid JSON/);
    expect(message).not.toContain(SECRET);
  });
});

describe("gobq serve with a bad token file", () => {
  it("exits with code 1 and one line naming the flag, the entry and the field", async () => {
    const file = join(tmp.dir, "tokens.json");
    writeFileSync(file, JSON.stringify([{ token: PRODUCER, role: "producer" }, { token: WORKER, role: "wroker" }]));
    const r = await runGobq(["serve", "--listen", "127.0.0.1:0", "--http-listen", "off", "--store", "memory:", "--tokens", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("gobq: --tokens (GOBQ_TOKENS_FILE): entry 2: role: must be one of producer, worker, admin\n");
    expect(r.stdout).toBe("");
  });

  it("names a file it cannot read", async () => {
    const r = await runGobq(["serve", "--listen", "127.0.0.1:0", "--store", "memory:", "--tokens", join(tmp.dir, "missing.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gobq: --tokens (GOBQ_TOKENS_FILE): cannot read ${JSON.stringify(join(tmp.dir, "missing.json"))}: no such file\n`);
  });
});
