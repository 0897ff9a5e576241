/**
 * The child processes (producers, workers) run as plain JavaScript on plain `node`, the way
 * queues run in production — not under tsx, whose loader alone adds some 30 MB to a
 * process's RSS and would swamp the worker-memory comparison. So the harness bundles its
 * TypeScript (the child roles, the queue adapters, the gobq SDK sources) once per run with
 * esbuild; npm packages stay external and load as installed. Each queue's code is a
 * separate chunk, loaded only by the children of that queue: a BullMQ worker does not
 * carry pg-boss.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** npm packages the children import: left to Node to load from node_modules. */
const EXTERNAL = ["bullmq", "ioredis", "pg", "pg-boss", "graphile-worker", "@connectrpc/*", "@bufbuild/*"];

/**
 * Bundles the child entry point into `<repoRoot>/node_modules/.cache/gobq-bench/` (inside
 * node_modules so the externals resolve, and ignored by git); returns the entry file.
 */
export async function bundleChild(repoRoot: string): Promise<string> {
  const outdir = join(repoRoot, "node_modules", ".cache", "gobq-bench");
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { child: fileURLToPath(new URL("./child.ts", import.meta.url)) },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    logLevel: "warning",
  });
  return join(outdir, "child.js");
}
