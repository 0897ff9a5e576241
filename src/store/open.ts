/** Opens the store a configuration names. The one place that chooses a driver. */
import { openDuckDbStore } from "./duckdb/index.js";
import { createMemoryStore } from "./memory/index.js";
import { describeStoreLocation, type StoreLocation } from "./location.js";
import { migratePostgresStore, openPostgresStore } from "./postgres/index.js";
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

/** What `migrateStore` did: the store as it may be shown, and one line per migration applied (none: it was up to date). */
export interface StoreMigration {
  store: string;
  applied: Array<{ version: number; name: string }>;
  /** The schema version now, where the store has numbered ones. */
  version: number | undefined;
}

/** Brings the store's schema up to date. A DuckDB file migrates when it opens; a memory store has nothing to migrate. */
export async function migrateStore(location: StoreLocation): Promise<StoreMigration> {
  if (location.kind === "postgres") return migratePostgresStore({ url: location.url, schema: location.schema });
  await (await openStore(location)).close();
  return { store: describeStoreLocation(location), applied: [], version: undefined };
}
