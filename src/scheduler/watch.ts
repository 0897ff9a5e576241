/** Watch streams over an event hub, the same for every scheduler. */
import { checkId, checkName } from "../task/validate.js";
import { type Task, isFinal } from "../task/task.js";
import type { EventHub, Subscription, TaskEvent } from "./event-hub.js";

/** What `watchTask` needs of its scheduler. */
export interface WatchSource {
  hub: EventHub;
  /** The task as it is now; throws TaskNotFoundError. */
  get(id: string): Promise<Task>;
  /** Whether a task read as final may still change (its final state is not yet committed). */
  stillChanging(id: string): boolean;
}

/**
 * The task as it is now (unless it has not changed since `afterSeq`), then each change,
 * ending after a final status. Subscribes before reading, so no change falls in between;
 * events at or below the last seq sent are skipped.
 */
export async function* watchTask(source: WatchSource, id: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<TaskEvent> {
  const key = checkId("id", id);
  if (signal?.aborted) return; // the caller left before the watch began: its abort has fired already
  const sub = source.hub.subscribe({ taskId: key });
  const onAbort = () => sub.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const task = await source.get(key);
    let last = afterSeq;
    if (task.seq > last) {
      last = task.seq;
      yield { seq: task.seq, task: { ...task } };
    }
    if (isFinal(task.status) && !source.stillChanging(key)) return;
    for await (const event of sub) {
      if (event.seq <= last) continue;
      last = event.seq;
      yield event;
      if (isFinal(event.task.status)) return;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    sub.close();
  }
}

/** Every change in one category (or all): a feed that ends only at shutdown or when the caller leaves. */
export function watchCategory(hub: EventHub, category: string | undefined, signal?: AbortSignal): Subscription {
  if (category) checkName("category", category);
  const sub = hub.subscribe(category ? { category } : { all: true });
  // A caller that left before the feed opened would otherwise hold its watcher slot until
  // the category next changes: its abort has fired already.
  if (signal?.aborted) sub.close();
  else signal?.addEventListener("abort", () => sub.close(), { once: true });
  return sub;
}
