import { exerciseStore } from "../storetest/index.js";
import { createMemoryStore } from "./index.js";

exerciseStore("memory", async () => createMemoryStore());
