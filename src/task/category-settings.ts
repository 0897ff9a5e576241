/**
 * What an admin sets per category, enforced when tasks are leased:
 *
 * - **paused**: the category accepts enqueues but leases nothing; long-polls keep waiting.
 * - **max running**: at most this many STARTED tasks of the category at once, across all
 *   workers (and replicas): a lease starts at most `maxRunning − running`.
 * - **max starts per second**: a token bucket that holds at most the rate (and at least one
 *   token), refilled continuously; each lease started takes one token. A lease that finds no
 *   whole token starts nothing until the next one is due.
 *
 * 0 means "no limit" for both limits. Not paused with no limits is the default: a category
 * nobody configured has exactly these settings, and stores keep no row for it.
 */
import { checkInt, checkName, checkRange } from "./validate.js";

/** One category's settings; see the module comment. */
export interface CategorySettings {
  category: string;
  paused: boolean;
  /** Most STARTED tasks at once; 0: no limit. */
  maxRunning: number;
  /** Most leases started per second (fractions allowed); 0: no limit. */
  maxStartsPerSecond: number;
}

/** A change of one category's settings: each unset field is left as it is. */
export interface CategoryUpdate {
  category: string;
  paused?: boolean | undefined;
  /** 0 removes the limit. */
  maxRunning?: number | undefined;
  /** 0 removes the limit. */
  maxStartsPerSecond?: number | undefined;
}

/** Upper bounds of the limits: generous, but small enough for every store's columns. */
export const CATEGORY_LIMIT_BOUNDS = { maxRunning: 1_000_000, maxStartsPerSecond: 1_000_000 } as const;

/** The settings of a category nobody configured. */
export function defaultSettings(category: string): CategorySettings {
  return { category, paused: false, maxRunning: 0, maxStartsPerSecond: 0 };
}

/** Whether these are the default settings (stores keep nothing for them). */
export function isDefaultSettings(s: CategorySettings): boolean {
  return !s.paused && s.maxRunning === 0 && s.maxStartsPerSecond === 0;
}

/** Checks an update, naming the first bad field as the API spells it; returns it unchanged. */
export function validateCategoryUpdate(update: CategoryUpdate): CategoryUpdate {
  checkName("category", update.category);
  if (update.maxRunning !== undefined) checkInt("max_running", update.maxRunning, 0, CATEGORY_LIMIT_BOUNDS.maxRunning);
  if (update.maxStartsPerSecond !== undefined) {
    checkRange("max_starts_per_second", update.maxStartsPerSecond, 0, CATEGORY_LIMIT_BOUNDS.maxStartsPerSecond);
  }
  return update;
}

/** `current` (the default if undefined) with the fields `update` sets replaced. */
export function applyCategoryUpdate(current: CategorySettings | undefined, update: CategoryUpdate): CategorySettings {
  const base = current ?? defaultSettings(update.category);
  return {
    category: update.category,
    paused: update.paused ?? base.paused,
    maxRunning: update.maxRunning ?? base.maxRunning,
    maxStartsPerSecond: update.maxStartsPerSecond ?? base.maxStartsPerSecond,
  };
}

/** A rate limit's bucket: `tokens` (fractional) as of time `at`. */
export interface TokenBucket {
  tokens: number;
  at: number;
}

/** Why a lease starts fewer tasks than it asked for. */
export type CategoryHold = "paused" | "running" | "rate";

/** What a category's settings let one lease start now. */
export interface Admission {
  /** Tasks the lease may start: 0 … wanted. */
  allowed: number;
  /** Why `allowed` is below `wanted`, if it is. */
  held: CategoryHold | undefined;
  /** With `held` "rate": when the next whole token is due. */
  retryAt: number | undefined;
  /** The rate limit's bucket refilled up to now, to keep (after `takeTokens`); undefined: keep the one there is. */
  bucket: TokenBucket | undefined;
}

// Refills compute tokens as elapsed × rate / 1000; this absorbs the rounding of that division.
const EPSILON = 1e-9;

/**
 * How many of `wanted` tasks a lease may start now, given the category's settings, its
 * STARTED tasks (`running`, only read with a max running) and its rate bucket (undefined:
 * full). After leasing n tasks, store `takeTokens(admission.bucket, n)`.
 */
export function admitStarts(p: {
  settings: CategorySettings;
  wanted: number;
  running: number;
  bucket: TokenBucket | undefined;
  now: number;
}): Admission {
  const { settings, now } = p;
  if (settings.paused) return { allowed: 0, held: "paused", retryAt: undefined, bucket: undefined };
  let allowed = p.wanted;
  let held: CategoryHold | undefined;
  if (settings.maxRunning > 0 && settings.maxRunning - p.running < allowed) {
    allowed = Math.max(0, settings.maxRunning - p.running);
    held = "running";
  }
  const rate = settings.maxStartsPerSecond;
  if (rate === 0) return { allowed, held, retryAt: undefined, bucket: undefined };
  const bucket = refill(p.bucket, rate, now);
  const whole = Math.floor(bucket.tokens + EPSILON);
  if (whole >= allowed) return { allowed, held, retryAt: undefined, bucket };
  const missing = 1 - bucket.tokens;
  const retryAt = missing <= EPSILON ? now : bucket.at + Math.ceil((missing * 1000) / rate - EPSILON);
  return { allowed: whole, held: "rate", retryAt, bucket };
}

/** The bucket after `n` leases were started from it. */
export function takeTokens(bucket: TokenBucket, n: number): TokenBucket {
  return { tokens: Math.max(0, bucket.tokens - n), at: bucket.at };
}

/** A bucket kept across a change of the rate: never more than the new rate's burst. */
export function clampBucket(bucket: TokenBucket, rate: number): TokenBucket {
  return { tokens: Math.min(bucket.tokens, burstOf(rate)), at: bucket.at };
}

function burstOf(rate: number): number {
  return Math.max(rate, 1);
}

function refill(bucket: TokenBucket | undefined, rate: number, now: number): TokenBucket {
  const burst = burstOf(rate);
  if (bucket === undefined) return { tokens: burst, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(burst, bucket.tokens + (elapsed * rate) / 1000), at: Math.max(now, bucket.at) };
}
