/**
 * What one replica knows of the category settings when the store enforces them (the store
 * decides every lease; see SharedStore.taskLeaseMany). This knowledge only decides when
 * waiting long-polls look at the store again, never whether a task may start:
 *
 * - a change of settings, committed here or announced by another replica, wakes the
 *   category's polls (a resume, or a limit raised);
 * - in a category with a max running, a task that stops being STARTED wakes them;
 * - a lease held back for want of a rate token wakes them when the next token is due.
 *
 * A replica that missed announcements (a gap) reads the settings again; waiting polls also
 * look again every so often whatever happens (SharedScheduler's recheck).
 */
import { defaultSettings, isDefaultSettings, type CategoryHold, type CategorySettings } from "../../task/category-settings.js";
import type { SharedStore } from "../../store/shared-store.js";
import type { Clock } from "../clock.js";
import { WakeTimers } from "../wake-timers.js";

/** What the settings cache needs. */
export interface SharedCategoriesDeps {
  store: SharedStore;
  clock: Clock;
  /** Lets the category's waiting polls try the store again. */
  wake(category: string): void;
  /** Called when reading the settings fails (the store is away). */
  onError(err: unknown): void;
}

/** See the module comment. */
export class SharedCategories {
  private readonly settings = new Map<string, CategorySettings>();
  private readonly wakes: WakeTimers;

  constructor(private readonly deps: SharedCategoriesDeps) {
    this.wakes = new WakeTimers(deps.clock, (category) => deps.wake(category));
  }

  /** Reads every category's settings from the store, and wakes the polls of those that changed. */
  async load(): Promise<void> {
    const stored = await this.deps.store.categoryList();
    const seen = new Set(stored.map((s) => s.category));
    for (const category of this.settings.keys()) if (!seen.has(category)) this.changed(defaultSettings(category));
    for (const s of stored) this.changed(s);
  }

  /** Announcements may have been missed: read the settings again. */
  reload(): void {
    this.load().catch((err: unknown) => this.deps.onError(err));
  }

  /** A category's settings as now committed (here or by another replica). */
  changed(settings: CategorySettings): void {
    const before = this.settings.get(settings.category);
    if (isDefaultSettings(settings)) this.settings.delete(settings.category);
    else this.settings.set(settings.category, settings);
    if (!sameSettings(before, settings)) this.deps.wake(settings.category);
  }

  /** Whether an attempt that ends may let a poll lease in the category: it has a max running. */
  capsRunning(category: string): boolean {
    return (this.settings.get(category)?.maxRunning ?? 0) > 0;
  }

  /** A lease in the category was held back; with a rate limit, its polls look again when a token is due. */
  held(category: string, held: { reason: CategoryHold; retryAt: number | undefined }): void {
    if (held.retryAt !== undefined) this.wakes.at(category, held.retryAt);
  }

  /** Cancels the timers (the server is stopping). */
  stop(): void {
    this.wakes.stop();
  }
}

function sameSettings(before: CategorySettings | undefined, after: CategorySettings): boolean {
  if (before === undefined) return isDefaultSettings(after);
  return before.paused === after.paused && before.maxRunning === after.maxRunning && before.maxStartsPerSecond === after.maxStartsPerSecond;
}
