/** Opens the store a configuration names. The one place that chooses a driver. */
import { openDuckDbStore } from "./duckdb/index.js";
import { createMemoryStore } from "./memory/index.js";
import type { StoreLocation } from "./location.js";
import { openPostgresStore } from "./postgres/index.js";
import type { Store } from "./store.js";

export { parseStoreLocation, type StoreLocation } from "./location.js";

/** Opens a store; throws StoreOpenError with one clear line if it cannot. */
export async function openStore(location: StoreLocation): Promise<Store> {
  switch (location.kind) {
    case "memory":
      return createMemoryStore();
    case "duckdb":
      return openDuckDbStore({ path: location.path });
    case "postgres":
      return openPostgresStore({ url: location.url, schema: location.schema });
  }
}
