/** Every workload, in the order they run. */
import { w1a, w1b } from "./w1-enqueue.js";
import { w2 } from "./w2-processing.js";
import { w3 } from "./w3-latency.js";
import { w4 } from "./w4-priority.js";
import { w5 } from "./w5-durability.js";
import { w6 } from "./w6-server-memory.js";
import type { Workload, WorkloadId } from "./workload.js";

/** The workloads by id, in run order. */
export const WORKLOADS: Record<WorkloadId, Workload> = { w1a, w1b, w2, w3, w4, w5, w6 };
