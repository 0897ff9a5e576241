/**
 * `gobq migrate`: brings the configured store's schema up to date and exits — what `serve`
 * does when it starts, done alone, e.g. before rolling out new replicas.
 */
import type { StoreLocation } from "../store/location.js";
import type { Output } from "./command-context.js";

/** Applies the migrations the store lacks and prints one line per migration applied, or that it was up to date. */
export async function migrateStore(location: StoreLocation, out: Output): Promise<void> {
  // Loaded here: the store drivers are needed by this command only.
  const { store, applied, version } = await (await import("../store/open.js")).migrateStore(location);
  for (const migration of applied) out.write(`${store}: applied migration ${migration.version} (${migration.name})\n`);
  if (applied.length === 0) out.write(`${store}: up to date${version === undefined ? "" : ` at schema version ${version}`}\n`);
}
