/** Opens the store a configuration names. The one place that chooses a driver. */
import { openDuckDbStore } from "./duckdb/index.js";
import { createMemoryStore } from "./memory/index.js";
import type { Store } from "./store.js";

/** Which store to open. */
export type StoreLocation = { kind: "duckdb"; path: string } | { kind: "memory" };

/** Opens a store; throws StoreOpenError with one clear line if it cannot. */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.kind === "memory") return createMemoryStore();
  return openDuckDbStore({ path: location.path });
}
