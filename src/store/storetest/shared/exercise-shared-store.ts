/**
 * The shared-store conformance suite: every `SharedStore` driver runs it unchanged, besides
 * `exerciseStore`, from its own test file:
 *
 *     exerciseSharedStore("postgres", () => ({ open: …, dropListenerConnections: … }));
 *
 * Tests use only the `SharedStore` interface, with two or more replicas on one storage where
 * what they share is the point.
 */
import { describe } from "vitest";
import { describeCategoryLimits } from "./category-limits.js";
import { describeEnqueue } from "./enqueue.js";
import { useFreshCluster, type NewSharedStoreCluster } from "./fresh-cluster.js";
import { describeLeasing } from "./leasing.js";
import { describeListen } from "./listen.js";
import { describeModify } from "./modify.js";
import { describeModifyMany } from "./modify-many.js";
import { describeQueueCounts } from "./queue-counts.js";
import { describeSweep } from "./sweep.js";

/** Declares the shared-store conformance tests for one driver; the suite closes every replica it opens. */
export function exerciseSharedStore(driverName: string, newCluster: NewSharedStoreCluster): void {
  describe(`SharedStore conformance: ${driverName}`, () => {
    const cluster = useFreshCluster(newCluster);
    describeEnqueue(cluster);
    describeLeasing(cluster);
    describeCategoryLimits(cluster);
    describeModify(cluster);
    describeModifyMany(cluster);
    describeSweep(cluster);
    describeQueueCounts(cluster);
    describeListen(cluster);
  });
}
