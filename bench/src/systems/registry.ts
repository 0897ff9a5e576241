/**
 * Loads each queue's harness face only when it is used: a peer whose package is not
 * installed then shows up as "not run: … not installed" instead of breaking the harness,
 * and a gobq-only run (--smoke) needs neither Redis nor PostgreSQL clients.
 */
import type { PostgresInfo, RedisInfo } from "../services.js";
import type { GobqHarness } from "./gobq-harness.js";
import type { SystemHarness, SystemName } from "./system.js";

/** What the harness faces need to know about this machine. */
export interface HarnessContext {
  repoRoot: string;
  redis: RedisInfo;
  postgres: PostgresInfo;
  /** Profile gobq's server into this directory. */
  cpuProfDir?: string;
}

/** The harness face of `name`; throws, saying why, when it cannot run here. */
export async function loadHarness(name: SystemName, ctx: HarnessContext): Promise<SystemHarness> {
  switch (name) {
    case "gobq":
      return loadGobqHarness(ctx);
    case "gobq-pg":
    case "gobq-pg3":
      return (await import("./gobq-pg-harness.js")).createGobqPgHarness({
        name,
        replicas: name === "gobq-pg" ? 1 : 3,
        repoRoot: ctx.repoRoot,
        postgres: ctx.postgres,
        cpuProfDir: ctx.cpuProfDir,
      });
    case "bullmq":
      return (await import("./bullmq-harness.js")).createBullmqHarness(ctx.redis);
    case "pg-boss":
      return (await import("./pg-boss-harness.js")).createPgBossHarness(ctx.postgres);
    case "graphile-worker":
      return (await import("./graphile-worker-harness.js")).createGraphileWorkerHarness(ctx.postgres);
  }
}

/** gobq's harness face, which W5 and W6 use directly. */
export async function loadGobqHarness(ctx: HarnessContext): Promise<GobqHarness> {
  const { createGobqHarness } = await import("./gobq-harness.js");
  return createGobqHarness({ repoRoot: ctx.repoRoot, cpuProfDir: ctx.cpuProfDir });
}
