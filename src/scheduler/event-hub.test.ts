/** The event hub's bounds: how many may watch, and how many events wait for slow watchers. */
import { describe, expect, it } from "vitest";
import { ResourceExhaustedError } from "../task/errors.js";
import type { Task } from "../task/task.js";
import { EventHub, type Subscription } from "./event-hub.js";

const task = (id: string, category: string, status: Task["status"] = "started", progress = 0) =>
  ({ id, category, status, progress, seq: progress + 1 }) as Task;

async function drain(sub: Subscription): Promise<unknown> {
  try {
    for await (const _ of sub);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe("EventHub", () => {
  it("refuses a subscription past maxSubscriptions until one closes", () => {
    const hub = new EventHub(100, 2);
    const a = hub.subscribe({ all: true });
    hub.subscribe({ taskId: "t" });
    expect(() => hub.subscribe({ category: "c" })).toThrow(ResourceExhaustedError);
    a.close();
    expect(() => hub.subscribe({ category: "c" })).not.toThrow();
  });

  it("coalesces one task's progress for a slow watcher, so it buffers one event however many are published", () => {
    const hub = new EventHub(100, Infinity, 3);
    hub.subscribe({ taskId: "t" });
    for (let p = 0; p < 1000; p++) hub.publish(task("t", "c", "started", p));
    expect(hub.buffered).toBe(1);
    hub.publish(task("t", "c", "success", 1000));
    expect(hub.buffered).toBe(2);
  });

  it("ends the watcher that would take all watchers' buffered events past the total, and counts what is read or dropped", async () => {
    const hub = new EventHub(100, Infinity, 5);
    const slow = hub.subscribe({ category: "a" });
    const other = hub.subscribe({ category: "b" });
    for (let i = 0; i < 3; i++) hub.publish(task(`a${i}`, "a"));
    for (let i = 0; i < 2; i++) hub.publish(task(`b${i}`, "b"));
    expect(hub.buffered).toBe(5);
    hub.publish(task("a9", "a"));
    expect(await drain(slow)).toBeInstanceOf(ResourceExhaustedError);
    expect(hub.buffered).toBe(2); // the ended watcher's events were dropped
    other.close();
    expect([hub.buffered, hub.size]).toEqual([0, 0]);
  });
});
