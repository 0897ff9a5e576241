/**
 * The scheduler conformance suite: every TaskScheduler runs it unchanged, from its own test
 * file, so the in-memory scheduler and the shared one keep the same semantics:
 *
 *     exerciseScheduler("in-memory", ({ clock, random }) => Scheduler.open({ store: createMemoryStore(), clock, random }));
 */
import { describe } from "vitest";
import { describeBasics } from "./basics.js";
import { describeCancel } from "./cancel.js";
import { describeCategories } from "./categories.js";
import { describeOrdering } from "./ordering.js";
import { describeReclaim } from "./reclaim.js";
import { describeRetries } from "./retries.js";
import { type OpenScheduler, useSchedulers } from "./setup.js";

export { input, type OpenScheduler } from "./setup.js";

/** Declares the conformance tests for one scheduler. */
export function exerciseScheduler(name: string, open: OpenScheduler): void {
  describe(`Scheduler conformance: ${name}`, () => {
    const ctx = useSchedulers(open);
    describeOrdering(ctx);
    describeRetries(ctx);
    describeReclaim(ctx);
    describeCancel(ctx);
    describeBasics(ctx);
    describeCategories(ctx);
  });
}
