/**
 * The store conformance suite: every driver runs it unchanged, from its own test file:
 *
 *     exerciseStore("duckdb", () => openDuckDbStore({ path: freshPath() }));
 *
 * Tests assert only what a user of the `Store` interface observes.
 */
import { describe } from "vitest";
import { describeCategories } from "./categories.js";
import { describeCounts } from "./counts.js";
import { useFreshStore, type OpenStore } from "./fresh-store.js";
import { describeLifecycle } from "./lifecycle.js";
import { describeList } from "./list.js";
import { describeLookups } from "./lookups.js";
import { describeRoundTrip } from "./round-trip.js";
import { describeSaveMany } from "./save-many.js";

/**
 * Declares the conformance tests for one driver. `open` must return an empty store that
 * shares nothing with the stores it returned before; the suite closes every store it opens.
 */
export function exerciseStore(driverName: string, open: OpenStore): void {
  describe(`Store conformance: ${driverName}`, () => {
    const ctx = useFreshStore(open);
    describeRoundTrip(ctx);
    describeSaveMany(ctx);
    describeList(ctx);
    describeCounts(ctx);
    describeLookups(ctx);
    describeCategories(ctx);
    describeLifecycle(open);
  });
}
