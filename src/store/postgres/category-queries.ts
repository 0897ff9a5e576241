/**
 * Category settings in PostgreSQL: one row per category with settings, holding also the
 * rate limit's token bucket that every replica's leases draw from.
 */
import type pg from "pg";
import {
  applyCategoryUpdate,
  clampBucket,
  isDefaultSettings,
  type CategorySettings,
  type CategoryUpdate,
  type TokenBucket,
} from "../../task/category-settings.js";
import { notifyCategory } from "./notify.js";
import type { SchemaNames } from "./schema.js";
import type { Queryable } from "./task-queries.js";

interface CategoryRow {
  category: string;
  paused: boolean;
  max_running: number;
  max_starts_per_second: number;
  tokens: number | null;
  tokens_at: number | null;
}

/** A category's settings and its rate bucket (undefined: full), as a lease reads them. */
export interface LockedCategory {
  settings: CategorySettings;
  bucket: TokenBucket | undefined;
}

const COLUMNS = "category, paused, max_running, max_starts_per_second, tokens, tokens_at";

/** Every stored category's settings, ordered by category. */
export async function selectCategorySettings(db: Queryable, names: SchemaNames): Promise<CategorySettings[]> {
  const { rows } = await db.query<CategoryRow>(`SELECT ${COLUMNS} FROM ${names.categories} ORDER BY category`);
  return rows.map((row) => fromRow(row).settings);
}

/** Locks a category's row until the transaction ends; undefined (nothing locked) if it has no settings. */
export async function lockCategory(client: pg.PoolClient, names: SchemaNames, category: string): Promise<LockedCategory | undefined> {
  const { rows } = await client.query<CategoryRow>(`SELECT ${COLUMNS} FROM ${names.categories} WHERE category = $1 FOR UPDATE`, [category]);
  return rows[0] && fromRow(rows[0]);
}

/** STARTED tasks of a category (an index scan of tasks_started). */
export async function countStarted(client: pg.PoolClient, names: SchemaNames, category: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) AS n FROM ${names.tasks} WHERE category = $1 AND status = 'started'`,
    [category],
  );
  return rows[0]?.n ?? 0;
}

/** Stores the rate bucket of a category whose row this transaction locked. */
export async function saveBucket(client: pg.PoolClient, names: SchemaNames, category: string, bucket: TokenBucket): Promise<void> {
  await client.query(`UPDATE ${names.categories} SET tokens = $2, tokens_at = $3 WHERE category = $1`, [category, bucket.tokens, bucket.at]);
}

/**
 * `categoryUpdate`, inside one transaction: makes sure the row exists (waiting for a replica
 * inserting it), locks it, applies the update, and keeps, changes or deletes the row. The
 * bucket keeps its tokens, clamped to a lower rate's burst. Announced to every replica.
 */
export async function updateCategory(client: pg.PoolClient, names: SchemaNames, update: CategoryUpdate): Promise<CategorySettings> {
  // Without a row to lock, two replicas' first updates of a category could each miss the other's.
  await client.query(
    `INSERT INTO ${names.categories} (category, paused, max_running, max_starts_per_second) VALUES ($1, false, 0, 0)
    ON CONFLICT (category) DO NOTHING`,
    [update.category],
  );
  const current = (await lockCategory(client, names, update.category))!;
  const settings = applyCategoryUpdate(current.settings, update);
  if (isDefaultSettings(settings)) {
    await client.query(`DELETE FROM ${names.categories} WHERE category = $1`, [settings.category]);
  } else {
    const rate = settings.maxStartsPerSecond;
    const bucket = rate > 0 && current.bucket ? clampBucket(current.bucket, rate) : undefined;
    await client.query(
      `UPDATE ${names.categories} SET paused = $2, max_running = $3, max_starts_per_second = $4, tokens = $5, tokens_at = $6
      WHERE category = $1`,
      [settings.category, settings.paused, settings.maxRunning, rate, bucket?.tokens ?? null, bucket?.at ?? null],
    );
  }
  await notifyCategory(client, names, settings);
  return settings;
}

function fromRow(row: CategoryRow): LockedCategory {
  return {
    settings: {
      category: row.category,
      paused: row.paused,
      maxRunning: row.max_running,
      maxStartsPerSecond: row.max_starts_per_second,
    },
    bucket: row.tokens === null || row.tokens_at === null ? undefined : { tokens: row.tokens, at: row.tokens_at },
  };
}
