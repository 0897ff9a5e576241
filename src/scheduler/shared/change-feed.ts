/**
 * What one replica does with the changes every replica announces: wakes its long-polls of
 * a category that has a ready task (or, with a max running, a task that stopped running),
 * tells the sweeper when something was scheduled, feeds its watchers, and keeps the
 * category settings it knows up to date (shared-categories.ts). An announcement carries the task when it fits; a watched task whose
 * announcement does not is read back from the store (so a watcher may then see its latest
 * state instead of each step, as a slow watcher does). Batches are handled one after
 * another, so a watcher sees a task's changes in order.
 */
import type { Task } from "../../task/task.js";
import type { SharedStore, TaskChange, TaskChangeListener } from "../../store/shared-store.js";
import type { EventHub } from "../event-hub.js";
import type { SharedCategories } from "./shared-categories.js";
import type { SharedWaiters } from "./shared-waiters.js";
import type { Sweeper } from "./sweeper.js";

/** What the feed drives. */
export interface ChangeFeedDeps {
  store: SharedStore;
  hub: EventHub;
  waiters: SharedWaiters;
  sweeper: Sweeper;
  categories: SharedCategories;
  onError(err: unknown): void;
}

/** A listener for `SharedStore.listen`; see the module comment. */
export function changeFeed(deps: ChangeFeedDeps): TaskChangeListener {
  let reads: Promise<unknown> = Promise.resolve();

  /** Publishes, in order, each task given whole and the latest stored state of each id. */
  function publish(items: ReadonlyArray<Task | string>): void {
    if (items.length === 0) return;
    reads = reads
      .then(async () => {
        const tasks = await Promise.all(items.map((item) => (typeof item === "string" ? deps.store.taskGet({ id: item }) : item)));
        for (const task of tasks) if (task !== undefined) deps.hub.publish(task);
      })
      .catch((err: unknown) => deps.onError(err));
  }

  return {
    onChanges(changes: readonly TaskChange[]): void {
      const ready = new Set<string>();
      const watched: Array<Task | string> = [];
      let scheduled = false;
      for (const c of changes) {
        // In a category with a max running, a task that stops running may let a poll lease.
        if (c.ready || (c.status !== "started" && deps.categories.capsRunning(c.category))) ready.add(c.category);
        // A backoff or a run_at may end before the sweeper's next look. (Leases last at least
        // a second, which its longest sleep is not, so a lease taken needs no early look.)
        if (c.status === "retry" || (c.status === "pending" && !c.ready)) scheduled = true;
        if (deps.hub.watches(c.id, c.category)) watched.push(c.task ?? c.id);
      }
      for (const category of ready) deps.waiters.wake(category);
      if (scheduled) deps.sweeper.soon();
      publish(watched);
    },
    onCategory(settings): void {
      deps.categories.changed(settings);
    },
    onGap(): void {
      deps.waiters.wakeAll();
      deps.sweeper.soon();
      deps.categories.reload();
      publish(deps.hub.watchedTasks());
    },
  };
}
