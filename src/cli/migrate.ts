/**
 * `gobq migrate`: brings the configured store's schema up to date and exits — what `serve`
 * does when it starts, done alone, e.g. before rolling out new replicas.
 */
import { describeStoreLocation, type StoreLocation } from "../store/location.js";
import type { Output } from "./command-context.js";

/** Applies the migrations the store lacks and prints one line per migration applied, or that it was up to date. */
export async function migrateStore(location: StoreLocation, out: Output): Promise<void> {
  if (location.kind === "postgres") {
    const { migratePostgresStore } = await import("../store/postgres/index.js");
    const { store, applied, version } = await migratePostgresStore({ url: location.url, schema: location.schema });
    for (const migration of applied) out.write(`${store}: applied migration ${migration.version} (${migration.name})\n`);
    if (applied.length === 0) out.write(`${store}: up to date at schema version ${version}\n`);
    return;
  }
  // A DuckDB file migrates when it opens; a memory store has nothing to migrate.
  const { openStore } = await import("../store/open.js");
  await (await openStore(location)).close();
  out.write(`${describeStoreLocation(location)}: up to date\n`);
}
