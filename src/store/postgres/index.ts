/** The PostgreSQL store driver: several gobq servers share one database schema. */
export { migratePostgresStore, openPostgresStore } from "./open.js";
export type { PostgresMigration, PostgresStoreOptions } from "./open.js";
export type { AppliedMigration } from "./schema.js";
