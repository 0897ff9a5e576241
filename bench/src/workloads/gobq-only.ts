/** The workloads that need a gobq server of ours: crashing it (W5) and reading its memory (W6). */
import type { GobqHarness, GobqRun } from "../systems/gobq-harness.js";
import type { WorkloadContext } from "./workload.js";

/** Runs `body` on a fresh gobq run, disposing of it afterwards whatever happens. */
export async function withGobqRun<T>(ctx: WorkloadContext, body: (run: GobqRun) => Promise<T>): Promise<T> {
  if (!("prepareGobq" in ctx.harness)) throw new Error(`${ctx.harness.name} cannot run a gobq-only workload`);
  const run = await (ctx.harness as GobqHarness).prepareGobq();
  try {
    return await body(run);
  } finally {
    await run.dispose();
  }
}
