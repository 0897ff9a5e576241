/** Category settings in DuckDB: a small table, read and written directly (never through the log). */
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  applyCategoryUpdate,
  isDefaultSettings,
  type CategorySettings,
  type CategoryUpdate,
} from "../../task/category-settings.js";
import { inTransaction } from "./transaction.js";

const COLUMNS = "category, paused, max_running, max_starts_per_second";

/** Every stored category's settings, ordered by category. */
export async function selectCategorySettings(connection: DuckDBConnection, category?: string): Promise<CategorySettings[]> {
  const where = category === undefined ? "" : "WHERE category = $1";
  const reader = await connection.runAndReadAll(
    `SELECT ${COLUMNS} FROM category_settings ${where} ORDER BY category`,
    category === undefined ? [] : [category],
  );
  return reader.getRows().map(([name, paused, maxRunning, rate]) => ({
    category: String(name),
    paused: paused === true,
    maxRunning: Number(maxRunning),
    maxStartsPerSecond: Number(rate),
  }));
}

/**
 * `categoryUpdate`: reads, changes and writes one row in one transaction. Must run on the
 * write connection, serialised with the other writes.
 */
export async function updateCategorySettings(connection: DuckDBConnection, update: CategoryUpdate): Promise<CategorySettings> {
  return inTransaction(connection, async () => {
    const [current] = await selectCategorySettings(connection, update.category);
    const settings = applyCategoryUpdate(current, update);
    if (isDefaultSettings(settings)) {
      if (current !== undefined) await connection.run("DELETE FROM category_settings WHERE category = $1", [settings.category]);
      return settings;
    }
    await connection.run(
      `INSERT INTO category_settings (${COLUMNS}) VALUES ($1, $2, $3, $4)
      ON CONFLICT (category) DO UPDATE SET paused = EXCLUDED.paused, max_running = EXCLUDED.max_running,
        max_starts_per_second = EXCLUDED.max_starts_per_second`,
      [settings.category, settings.paused, settings.maxRunning, settings.maxStartsPerSecond],
    );
    return settings;
  });
}
