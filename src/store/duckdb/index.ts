/** The DuckDB store driver: the default, embedded, single-process store. */
export { openDuckDbStore } from "./store.js";
export type { DuckDbStoreOptions } from "./open.js";
