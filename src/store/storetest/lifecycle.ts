/** Conformance: closing a store. */
import { describe, expect, it } from "vitest";
import type { OpenStore } from "./fresh-store.js";
import { makeTask } from "./fixtures.js";

/** Declares the close tests; they open their own store because they close it themselves. */
export function describeLifecycle(open: OpenStore): void {
  describe("close", () => {
    it("can be called twice, also concurrently", async () => {
      const store = await open();
      await store.taskSaveMany({ inserted: [makeTask()], updated: [] });
      await Promise.all([store.close(), store.close()]);
      await expect(store.close()).resolves.toBeUndefined();
    });

    it("finishes a write that was under way, then refuses reads and writes", async () => {
      const store = await open();
      const saving = store.taskSaveMany({ inserted: [makeTask()], updated: [] });
      const closing = store.close();
      await expect(saving).resolves.toBeUndefined();
      await closing;
      await expect(store.taskSaveMany({ inserted: [makeTask()], updated: [] })).rejects.toThrow(/closed/);
      await expect(store.taskList({ limit: 1 })).rejects.toThrow(/closed/);
      await expect(store.categoryList()).rejects.toThrow(/closed/);
      await expect(store.categoryUpdate({ category: "default", paused: true })).rejects.toThrow(/closed/);
    });
  });
}
