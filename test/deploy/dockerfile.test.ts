/**
 * The Dockerfile, checked without a container engine: the parts the deployment relies on are
 * there, the build context holds what the image copies, and the health check it declares
 * passes against a real `gobq serve` and fails when nothing serves.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGobq, type GobqProcess } from "../support/gobq-process.js";
import { imageOf } from "./compose-run.js";
import { all, execForm, keptByDockerignore, last, readDockerfile, readDockerignore, REPO_ROOT, stageEnv } from "./dockerfile.js";
import { runToEnd } from "./service-process.js";

const stages = readDockerfile();
const runtime = stages.at(-1)!;
const ignore = readDockerignore();

function filesUnder(path: string): string[] {
  const abs = join(REPO_ROOT, path);
  if (!statSync(abs).isDirectory()) return [path];
  return readdirSync(abs, { recursive: true, encoding: "utf8" })
    .filter((f) => !f.split("/").includes("node_modules") && statSync(join(abs, f)).isFile())
    .map((f) => `${path}/${f}`);
}

describe("Dockerfile", () => {
  it("installs production dependencies in a first stage and runs on a pinned node 20 bookworm-slim", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const install = stages.slice(0, -1).flatMap((s) => all(s, "RUN")).map((r) => r.args);
    expect(install.some((cmd) => /\bnpm ci\b.*--omit=dev/.test(cmd))).toBe(true);
    expect(runtime.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    const names = new Set(stages.map((s) => s.name));
    for (const s of stages) if (!names.has(s.from)) expect(s.from).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
    expect(all(runtime, "RUN").some((r) => /\bnpm (ci|install)\b/.test(r.args))).toBe(false);
  });

  it("runs `gobq serve` as a user other than root", () => {
    const user = last(runtime, "USER")?.args.trim();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(execForm(last(runtime, "ENTRYPOINT")!.args)).toEqual(["node", "bin/gobq.js", "serve"]);
    expect(existsSync(join(REPO_ROOT, "bin/gobq.js"))).toBe(true);
    // Compose appends `command` to the entrypoint; a CMD here would become flags of `serve`.
    expect(last(runtime, "CMD")).toBeUndefined();
  });

  it("listens beyond loopback on the ports it exposes, and keeps authentication on by default", () => {
    const env = stageEnv(runtime);
    const exposed = all(runtime, "EXPOSE").flatMap((e) => e.args.split(/\s+/).map((p) => p.replace(/\/tcp$/, "")));
    for (const key of ["GOBQ_LISTEN", "GOBQ_HTTP_LISTEN"]) {
      expect(env[key]).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(exposed).toContain(env[key]!.split(":")[1]);
    }
    expect(env).not.toHaveProperty("GOBQ_INSECURE");
    expect(env.GOBQ_STORE).toMatch(/^duckdb:\/.+/);
  });

  it("copies what the server and the examples load, and the build context keeps all of it", () => {
    const copies = all(runtime, "COPY").filter((c) => !c.args.startsWith("--from="));
    const fromDeps = all(runtime, "COPY").filter((c) => c.args.startsWith("--from="));
    expect(fromDeps.map((c) => c.args.split(/\s+/).slice(1).join(" "))).toContainEqual("/app/node_modules node_modules");
    const sources = copies.flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    for (const needed of ["package.json", "bin", "src", "sdk", "examples"]) expect(sources).toContain(needed);
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      for (const file of filesUnder(source)) {
        expect(keptByDockerignore(file, ignore), `${file} is left out of the build context`).toBe(!file.endsWith(".test.ts"));
      }
    }
    for (const s of stages.slice(0, -1)) {
      for (const c of all(s, "COPY")) for (const source of c.args.split(/\s+/).slice(0, -1)) expect(keptByDockerignore(source, ignore), source).toBe(true);
    }
    for (const local of ["node_modules/tsx/package.json", ".git/HEAD", "data/gobq.duckdb", "bench/src/main.ts"]) {
      expect(keptByDockerignore(local, ignore), local).toBe(false);
    }
  });

  describe("HEALTHCHECK", () => {
    let server: GobqProcess | undefined;
    beforeAll(async () => {
      server = await startGobq("memory:");
    });
    afterAll(async () => {
      await server?.stop();
    });

    // As in the container: GOBQ_HTTP_LISTEN holds 0.0.0.0 and the check asks loopback.
    const check = (httpPort: string) => {
      const hc = imageOf(stages).healthcheck;
      if (hc?.kind !== "command" || hc.shell) throw new Error("the HEALTHCHECK is not an exec-form command");
      const argv = hc.argv.map((a, i) => (i === 0 && a === "node" ? process.execPath : a));
      return runToEnd("health check", argv, { PATH: process.env.PATH, GOBQ_HTTP_LISTEN: `0.0.0.0:${httpPort}` }, REPO_ROOT, 10_000);
    };

    it("passes while gobq serves and fails once it has stopped", async () => {
      const port = new URL(server!.httpUrl).port;
      expect(await check(port)).toMatchObject({ code: 0 });
      await server!.stop();
      expect(await check(port)).toMatchObject({ code: 1 });
    });
  });
});
