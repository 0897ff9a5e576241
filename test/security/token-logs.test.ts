/**
 * Tokens never reach the server's log, at the most verbose level: not when a call is refused
 * for a bad token, not when one is let through, not when a role is refused — in no form
 * (the token, its SHA-256 in hex or base64, the authorization header).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, expect, it } from "vitest";
import { TaskClient } from "@gobq/sdk";
import { type GobqProcess, startGobq, tempDir } from "../support/gobq-process.js";

const GOOD = "logged-never-3b8e1f0c6a2d9e74";
const BAD = "forged-token-9d0c2a7e5f1b3c68";
const WORKER = "worker-token-0e6b4d2f8a1c3e57";

let tmp: ReturnType<typeof tempDir>;
let server: GobqProcess | undefined;
beforeEach(async () => {
  tmp = tempDir();
  const file = join(tmp.dir, "tokens.json");
  writeFileSync(file, JSON.stringify([{ token: GOOD, role: "producer", name: "the-producer" }, { token: WORKER, role: "worker", name: "the-worker" }]));
  server = await startGobq("memory:", ["--tokens", file, "--log-level", "trace"]);
});
afterEach(async () => {
  await server?.stop();
  tmp.cleanup();
});

/** Each form in which a token could leak. */
function forms(token: string): string[] {
  const digest = createHash("sha256").update(token).digest();
  return [token, digest.toString("hex"), digest.toString("base64"), Buffer.from(token).toString("base64")];
}

it("no token appears in the log, whether the call is refused or let through", async () => {
  await expect(new TaskClient({ baseUrl: server!.url, token: BAD }).stats()).rejects.toMatchObject({ rawMessage: "the bearer token is not valid" });
  const http1 = await fetch(`${server!.httpUrl}/gobq.v1.TaskService/GetStats`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BAD}` },
    body: "{}",
  });
  expect(http1.status).toBe(401);
  const task = await new TaskClient({ baseUrl: server!.url, token: GOOD }).enqueue("kept_quiet", { category: "logs" });
  await expect(new TaskClient({ baseUrl: server!.url, token: WORKER }).get(task.id)).rejects.toMatchObject({ code: Code.PermissionDenied });
  expect(await server!.stop()).toBe(0);

  const log = server!.stderr() + server!.stdout();
  // The log did record the refusals (so this test reads the right stream) ...
  const refused = log.split("\n").filter((l) => l.includes('"call refused"'));
  expect(refused).toHaveLength(3);
  expect(refused.join("\n")).toContain('"client":"the-worker"');
  expect(refused.join("\n")).toContain('"reason":"PERMISSION_DENIED"');
  // ... and holds no token in any form.
  for (const token of [GOOD, BAD, WORKER]) for (const form of forms(token)) expect(log).not.toContain(form);
  expect(log.toLowerCase()).not.toContain("bearer ");
});
