/** Tasks for the conformance suite: plain values, every field chosen by the test that needs it. */
import { v7 as uuidv7 } from "uuid";
import type { Task } from "../../task/task.js";

/** A fresh task id; successive ids sort in creation order, as the server's do. */
export function newTaskId(): string {
  return uuidv7();
}

/** A PENDING task with a new id and every optional field unset, changed by `overrides`. */
export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: newTaskId(),
    name: "email.send",
    category: "default",
    priority: "normal",
    status: "pending",
    args: [],
    kwargs: {},
    result: undefined,
    error: undefined,
    maxRetries: 3,
    retryCount: 0,
    attempt: 0,
    retryPolicy: undefined,
    progress: 0,
    progressMessage: "",
    createdAt: 1_700_000_000_000,
    startedAt: undefined,
    completedAt: undefined,
    runAt: undefined,
    nextAttemptAt: undefined,
    timeoutMs: undefined,
    idempotencyKey: undefined,
    cancelRequested: false,
    lease: undefined,
    seq: 1,
    readySeq: undefined,
    readyAt: undefined,
    ...overrides,
  };
}

/** A task with every optional field set to a value that is easy to lose in a round trip. */
export function makeFullTask(overrides: Partial<Task> = {}): Task {
  return makeTask({
    name: "report.build:v2",
    category: "reports-eu.west_1",
    priority: "critical",
    status: "started",
    args: [1, -2.5, "zwei", null, true, false, [], {}, [[1, [2, [3]]]], { deep: { er: [null] } }],
    kwargs: {
      "unicode ✓": "日本語 — ünïcödé 🚀 עברית",
      quotes: `she said "hi" \\ 'bye'`,
      control: "tab\tnewline\nnul\u0000end",
      empty: "",
      zero: 0,
      big: Number.MAX_SAFE_INTEGER,
      small: -Number.MAX_SAFE_INTEGER,
      tiny: 5e-324,
      fraction: 0.1 + 0.2,
      nested: { list: [{ a: 1 }, { b: [true, null] }], emptyObject: {}, emptyList: [] },
    },
    result: { rows: [1, 2, 3], note: "partial ✓" },
    error: { message: "previous attempt: timeout\nsecond line", type: "" },
    maxRetries: 7,
    retryCount: 2,
    attempt: 3,
    retryPolicy: { initialMs: 250, maxMs: 30_000, multiplier: 1.5, jitter: 0.25 },
    progress: 100 / 3,
    progressMessage: "step 2/3 — ünïcödé",
    createdAt: 1_700_000_000_001,
    startedAt: 1_700_000_000_500,
    completedAt: 1_700_000_000_900,
    runAt: 1_700_000_000_100,
    nextAttemptAt: 1_700_000_000_200,
    timeoutMs: 90_000,
    idempotencyKey: "order-42:ünïcödé",
    cancelRequested: true,
    lease: { workerId: "worker-α@host-1", token: "tok-9f2c", expiresAt: 1_700_000_030_500, durationMs: 30_000 },
    seq: 9_007_199_254_740_991,
    readySeq: 123_456_789_012,
    readyAt: 1_700_000_000_300,
    ...overrides,
  });
}
