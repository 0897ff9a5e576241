/** Conformance: lookup by idempotency key, and the highest ready sequence number. */
import { describe, expect, it } from "vitest";
import type { FreshStore } from "./fresh-store.js";
import { makeTask } from "./fixtures.js";

/** Declares the idempotency-key and max-readySeq tests. */
export function describeLookups(ctx: FreshStore): void {
  describe("taskGetByIdempotencyKey", () => {
    it("returns the oldest task with the key, whatever the order of saving", async () => {
      const oldest = makeTask({ idempotencyKey: "order-1", status: "success" });
      const newer = makeTask({ idempotencyKey: "order-1" });
      const other = makeTask({ idempotencyKey: "order-2" });
      await ctx.store.taskSaveMany({ inserted: [newer, other], updated: [] });
      await ctx.store.taskSaveMany({ inserted: [oldest], updated: [] });
      expect(await ctx.store.taskGetByIdempotencyKey({ key: "order-1" })).toStrictEqual(oldest);
      expect(await ctx.store.taskGetByIdempotencyKey({ key: "order-2" })).toStrictEqual(other);
    });

    it("returns undefined for a key no task has, and never matches tasks without a key", async () => {
      await ctx.store.taskSaveMany({ inserted: [makeTask(), makeTask({ idempotencyKey: "" })], updated: [] });
      expect(await ctx.store.taskGetByIdempotencyKey({ key: "order-9" })).toBeUndefined();
      expect((await ctx.store.taskGetByIdempotencyKey({ key: "" }))?.idempotencyKey).toBe("");
    });
  });

  describe("taskMaxReadySeq", () => {
    it("is 0 for an empty store and for tasks without readySeq", async () => {
      expect(await ctx.store.taskMaxReadySeq()).toBe(0);
      await ctx.store.taskSaveMany({ inserted: [makeTask({ status: "started" })], updated: [] });
      expect(await ctx.store.taskMaxReadySeq()).toBe(0);
    });

    it("is the highest readySeq stored, after inserts and updates", async () => {
      const tasks = [7, 42, 3].map((readySeq) => makeTask({ readySeq }));
      await ctx.store.taskSaveMany({ inserted: [...tasks, makeTask()], updated: [] });
      expect(await ctx.store.taskMaxReadySeq()).toBe(42);
      await ctx.store.taskSaveMany({ inserted: [], updated: [{ ...tasks[1]!, readySeq: undefined }] });
      expect(await ctx.store.taskMaxReadySeq()).toBe(7);
      await ctx.store.taskSaveMany({ inserted: [], updated: [{ ...tasks[2]!, readySeq: 2 ** 40 }] });
      expect(await ctx.store.taskMaxReadySeq()).toBe(2 ** 40);
    });
  });
}
