/** Gives each shared-store test a fresh, empty shared storage, and closes every replica opened on it. */
import { afterEach, beforeEach } from "vitest";
import type { SharedStore } from "../../shared-store.js";

/** One fresh, empty storage that replicas share (for PostgreSQL: a new schema). */
export interface SharedStoreCluster {
  /** Opens one more replica on this storage. */
  open(): Promise<SharedStore>;
  /**
   * Cuts the connections on which this storage's replicas listen for changes, as a network
   * failure would; each should come back and call `onGap`.
   */
  dropListenerConnections(): Promise<void>;
}

/** Makes a fresh cluster; its storage shares nothing with those made before. */
export type NewSharedStoreCluster = () => SharedStoreCluster | Promise<SharedStoreCluster>;

/** The replicas of the running test. */
export interface FreshCluster {
  /** Opens a replica, closed after the test. */
  open(): Promise<SharedStore>;
  dropListenerConnections(): Promise<void>;
}

/** Registers hooks that make a cluster before each test of the enclosing block and close its replicas after. */
export function useFreshCluster(newCluster: NewSharedStoreCluster): FreshCluster {
  let current: SharedStoreCluster | undefined;
  const opened: SharedStore[] = [];
  beforeEach(async () => {
    current = await newCluster();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    current = undefined;
  });
  const cluster = (): SharedStoreCluster => {
    if (current === undefined) throw new Error("the cluster is made in beforeEach; use it inside a test");
    return current;
  };
  return {
    async open() {
      const store = await cluster().open();
      opened.push(store);
      return store;
    },
    dropListenerConnections: () => cluster().dropListenerConnections(),
  };
}
