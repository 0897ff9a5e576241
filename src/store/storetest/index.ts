/** The store conformance suite and the task fixtures it builds on. */
export { exerciseStore } from "./exercise-store.js";
export type { OpenStore } from "./fresh-store.js";
export { makeFullTask, makeTask, newTaskId } from "./fixtures.js";
