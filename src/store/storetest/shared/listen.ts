/** Shared-store conformance: every replica hears every committed change, and hears of gaps. */
import { describe, expect, it } from "vitest";
import type { SharedStore, TaskChange } from "../../shared-store.js";
import { makeTask } from "../fixtures.js";
import type { FreshCluster } from "./fresh-cluster.js";
import { enqueue, eventually, ids, lease, NOW } from "./steps.js";

/** What a listener heard. */
interface Heard {
  changes: TaskChange[];
  gaps: number;
}

async function listenTo(store: SharedStore): Promise<Heard> {
  const heard: Heard = { changes: [], gaps: 0 };
  await store.listen({ onChanges: (changes) => heard.changes.push(...changes), onGap: () => heard.gaps++ });
  return heard;
}

/** Declares the listen tests. */
export function describeListen(cluster: FreshCluster): void {
  describe("listen", () => {
    it("delivers changes committed through another replica, in commit order", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const heard = await listenTo(one);
      const tasks = await enqueue(two, [makeTask({ category: "mail" }), makeTask({ category: "mail", runAt: NOW + 1 })]);
      await eventually("the enqueue", () => heard.changes.length === 2);
      expect(heard.changes).toStrictEqual([
        { id: tasks[0]!.id, category: "mail", status: "pending", seq: 1, ready: true, task: tasks[0] },
        { id: tasks[1]!.id, category: "mail", status: "pending", seq: 1, ready: false, task: tasks[1] },
      ]);
      const [leased] = await lease(two, "mail");
      await eventually("the lease", () => heard.changes.length === 3);
      expect(heard.changes[2]).toStrictEqual({ id: tasks[0]!.id, category: "mail", status: "started", seq: 2, ready: false, task: leased });
      expect(heard.gaps).toBe(0);
    });

    it("delivers a replica's own changes and those of every write method", async () => {
      const store = await cluster.open();
      const heard = await listenTo(store);
      const saved = makeTask({ status: "success" });
      await store.taskSaveMany({ inserted: [saved], updated: [] });
      const [task] = await enqueue(store, [makeTask({ runAt: NOW + 5 })]);
      await store.taskSweepDue({ now: NOW + 5, limit: 5, change: () => undefined });
      await store.taskModify({ id: task!.id, now: NOW + 6, change: (t) => void (t.seq += 1) });
      await eventually("four changes", () => heard.changes.length === 4);
      expect(heard.changes.map(({ id, ready, seq }) => [id, ready, seq])).toStrictEqual([
        [saved.id, false, 1],
        [task!.id, false, 1],
        [task!.id, true, 1],
        [task!.id, true, 2],
      ]);
      // Each carries the task as committed.
      expect(heard.changes[0]!.task).toStrictEqual(saved);
      expect(heard.changes[3]!.task).toStrictEqual(await store.taskGet({ id: task!.id }));
    });

    it("announces nothing of a call that failed", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const heard = await listenTo(one);
      const [task] = await enqueue(two, [makeTask()]);
      const failing = two.taskModify({ id: task!.id, now: NOW, change: (t) => ((t.seq += 1), assertNever()) });
      await expect(failing).rejects.toThrow("refused");
      const [after] = await enqueue(two, [makeTask()]);
      await eventually("the second enqueue", () => heard.changes.length >= 2);
      expect(heard.changes.map((change) => change.id)).toStrictEqual(ids([task!, after!]));
    });

    it("delivers every task of a large enqueue", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const heard = await listenTo(one);
      const tasks = await enqueue(two, Array.from({ length: 1000 }, () => makeTask()));
      await eventually("a thousand changes", () => heard.changes.length === 1000);
      expect(heard.changes.map((change) => change.id)).toStrictEqual(ids(tasks));
    });

    it("calls onGap after the listening connection drops, then delivers again", async () => {
      const [one, two] = [await cluster.open(), await cluster.open()];
      const heard = await listenTo(one);
      await cluster.dropListenerConnections();
      await eventually("onGap", () => heard.gaps === 1);
      const [task] = await enqueue(two, [makeTask()]);
      await eventually("the enqueue after the gap", () => heard.changes.some((change) => change.id === task!.id));
    });

    it("may be called once, and refuses after close", async () => {
      const store = await cluster.open();
      await listenTo(store);
      await expect(listenTo(store)).rejects.toThrow();
      const other = await cluster.open();
      await other.close();
      await expect(listenTo(other)).rejects.toThrow(/closed/);
      await expect(other.close()).resolves.toBeUndefined();
    });
  });
}

function assertNever(): never {
  throw new Error("refused");
}
