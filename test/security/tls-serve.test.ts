/**
 * `gobq serve --tls-cert --tls-key --tokens` as users run it: the SDK (trusting the CA) and
 * the `gobq` commands (trusting it through Node's NODE_EXTRA_CA_CERTS, sending GOBQ_TOKEN)
 * reach it over https://; a command that does not trust the CA fails with one line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TaskClient } from "@gobq/sdk";
import { type GobqProcess, runGobq, startGobq, tempDir } from "../support/gobq-process.js";
import { makeCertificates, type TestCertificates } from "../support/tls-certs.js";

const TOKEN = "tls-admin-4f2c8e0a6b1d3957";

let tmp: ReturnType<typeof tempDir>;
let certs: TestCertificates;
let server: GobqProcess | undefined;
beforeAll(async () => {
  tmp = tempDir("gobq-tls-");
  certs = makeCertificates(tmp.dir);
  const tokens = join(tmp.dir, "tokens.json");
  writeFileSync(tokens, JSON.stringify([{ token: TOKEN, role: "admin" }]));
  server = await startGobq("memory:", ["--tls-cert", certs.serverCertPath, "--tls-key", certs.serverKeyPath, "--tokens", tokens]);
});
afterAll(async () => {
  await server?.stop();
  tmp?.cleanup();
});

it("serves the SDK and the gobq commands over https:// with a token", async () => {
  expect(server!.url).toMatch(/^https:\/\//);
  const client = new TaskClient({ baseUrl: server!.url, token: TOKEN, tls: { ca: certs.ca } });
  const task = await client.enqueue("secure", { category: "tls" });

  const env = { GOBQ_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: certs.caPath };
  const got = await runGobq(["get", task.id, "--json", "--server", server!.url], 20_000, env);
  expect(got).toMatchObject({ code: 0, stderr: "" });
  expect(JSON.parse(got.stdout)).toMatchObject({ id: task.id, name: "secure" });
});

it("refuses, in one line, a command that does not trust the server's CA", async () => {
  const r = await runGobq(["stats", "--server", server!.url], 20_000, { GOBQ_TOKEN: TOKEN });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^gobq: .*unable to verify the first certificate\n$/);
});
