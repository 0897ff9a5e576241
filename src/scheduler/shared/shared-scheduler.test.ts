/** The shared scheduler on PostgreSQL: the scheduler conformance suite, unchanged, and what only replicas show. */
import { afterEach, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../store/postgres/index.js";
import { findTestPostgres, useFreshSchemas } from "../../store/storetest/postgres-server.js";
import { exerciseScheduler, input } from "../schedulertest/index.js";
import type { TaskScheduler } from "../task-scheduler.js";
import { SharedScheduler } from "./shared-scheduler.js";

const url = await findTestPostgres();

describe.skipIf(url === undefined)("SharedScheduler on PostgreSQL", () => {
  const freshSchema = useFreshSchemas(url!);
  // The schema of each scheduler the suite opened, for `sameStoreAs`.
  const schemaOf = new WeakMap<TaskScheduler, string>();
  exerciseScheduler("shared (PostgreSQL)", async ({ clock, random, sameStoreAs }) => {
    const schema = sameStoreAs ? schemaOf.get(sameStoreAs)! : freshSchema();
    const s = await SharedScheduler.open({ store: await openPostgresStore({ url: url!, schema }), clock, random });
    schemaOf.set(s, schema);
    return s;
  });

  describe("category settings across replicas", () => {
    const opened: SharedScheduler[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.stop()));
    });
    // Waiting polls look again on their own only every 30 s here: a quicker answer came from an announcement.
    const replica = async (schema: string) => {
      const s = await SharedScheduler.open({ store: await openPostgresStore({ url: url!, schema }), sweepEveryMs: 30_000 });
      opened.push(s);
      return s;
    };
    const poll = (s: SharedScheduler, workerId: string, waitMs: number) =>
      s.lease({ category: "c", workerId, maxTasks: 5, leaseMs: 30_000, waitMs });

    it("a resume on one replica answers a poll waiting on another; max running holds across both", async () => {
      const schema = freshSchema();
      const [a, b] = [await replica(schema), await replica(schema)];
      await a.updateCategory({ category: "c", paused: true });
      await a.enqueueMany([input({ category: "c" }), input({ category: "c" }), input({ category: "c" })]);
      let answered = false;
      const waitingOnB = poll(b, "wb", 20_000).finally(() => (answered = true));
      await new Promise((r) => setTimeout(r, 200));
      expect(answered).toBe(false);

      const resumedAt = Date.now();
      await a.updateCategory({ category: "c", paused: false, maxRunning: 2 });
      const onB = await waitingOnB;
      expect(onB).toHaveLength(2);
      expect(Date.now() - resumedAt).toBeLessThan(5_000);

      expect(await poll(a, "wa", 0)).toEqual([]);
      const waitingOnA = poll(a, "wa", 20_000);
      const completedAt = Date.now();
      await b.complete({ taskId: onB[0]!.task.id, leaseToken: onB[0]!.leaseToken });
      expect(await waitingOnA).toHaveLength(1);
      expect(Date.now() - completedAt).toBeLessThan(5_000);
      expect((await b.stats()).categories).toEqual([expect.objectContaining({ category: "c", running: 2, maxRunning: 2 })]);
    });
  });
});
