/** Gives each conformance test a fresh, empty store, and closes it after the test. */
import { afterEach, beforeEach } from "vitest";
import type { Store } from "../store.js";

/** Opens an empty store that shares nothing with any store opened before. */
export type OpenStore = () => Promise<Store>;

/** The store of the running test. */
export interface FreshStore {
  readonly store: Store;
}

/** Registers hooks that open a store before each test of the enclosing block and close it after. */
export function useFreshStore(open: OpenStore): FreshStore {
  let current: Store | undefined;
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get store(): Store {
      if (current === undefined) throw new Error("the store is opened in beforeEach; use it inside a test");
      return current;
    },
  };
}
