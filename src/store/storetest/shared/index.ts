/** The shared-store conformance suite, for drivers whose store several servers share. */
export { exerciseSharedStore } from "./exercise-shared-store.js";
export type { NewSharedStoreCluster, SharedStoreCluster } from "./fresh-cluster.js";
