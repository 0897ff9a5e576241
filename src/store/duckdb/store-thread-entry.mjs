// The store thread's entry: a worker thread does not inherit the main thread's TypeScript
// loader, so it registers tsx itself before loading the TypeScript sources.
import { register } from "tsx/esm/api";

register();
await import("./store-thread.ts");
