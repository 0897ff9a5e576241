/** The in-memory store driver: no durability, for tests and the embedded mode. */
export { createMemoryStore } from "./memory-store.js";
