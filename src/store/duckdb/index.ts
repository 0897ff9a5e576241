/** The DuckDB store driver: the default, embedded, single-process store. */
export { openDuckDbStore, type DuckDbStoreOptions } from "./open.js";
