/**
 * A PostgreSQL server for tests, and a fresh schema per store.
 *
 * The server is `GOBQ_TEST_POSTGRES_URL` when set (and then it must answer: a wrong URL
 * fails the tests rather than skipping them); otherwise a container started with
 * testcontainers when a container engine answers; otherwise none, and the PostgreSQL tests
 * skip with one line on stderr saying why. Call these from a test file's top level.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";

/** The variable that names the test server. */
export const TEST_POSTGRES_URL_VARIABLE = "GOBQ_TEST_POSTGRES_URL";

// The container image when testcontainers starts one.
const CONTAINER_IMAGE = "postgres:16-alpine";

let found: Promise<string | undefined> | undefined;

/** The URL of a PostgreSQL server for tests, or undefined (after one warning) if there is none. */
export function findTestPostgres(): Promise<string | undefined> {
  found ??= locate();
  return found;
}

async function locate(): Promise<string | undefined> {
  const given = process.env[TEST_POSTGRES_URL_VARIABLE];
  if (given) {
    await checkAnswers(given);
    return given;
  }
  let why: string;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer(CONTAINER_IMAGE).start();
    afterAll(async () => {
      await container.stop();
    });
    return container.getConnectionUri();
  } catch (error) {
    why = error instanceof Error ? error.message.split("\n", 1)[0]! : String(error);
  }
  console.warn(`PostgreSQL tests skipped: ${TEST_POSTGRES_URL_VARIABLE} is not set and no container could be started (${why})`);
  return undefined;
}

async function checkAnswers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(`${TEST_POSTGRES_URL_VARIABLE} is set, but its server does not answer: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Schema names for one test file on the server at `url`: every call gives a new one, and
 * all of them are dropped after the file's tests.
 */
export function useFreshSchemas(url: string): () => string {
  const made: string[] = [];
  // Unique across test files and runs that share the server.
  const prefix = `t_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  afterAll(async () => {
    if (made.length === 0) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    } finally {
      await client.end();
    }
  });
  return () => {
    const schema = `${prefix}_${made.length + 1}`;
    made.push(schema);
    return schema;
  };
}
