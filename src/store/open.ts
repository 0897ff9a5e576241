/** Opens the store a configuration names. The one place that chooses a driver. */
import { openDuckDbStore } from "./duckdb/index.js";
import { createMemoryStore } from "./memory/index.js";
import type { StoreLocation } from "./location.js";
import type { Store } from "./store.js";

export { parseStoreLocation, type StoreLocation } from "./location.js";

/** Opens a store; throws StoreOpenError with one clear line if it cannot. */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.kind === "memory") return createMemoryStore();
  return openDuckDbStore({ path: location.path });
}
