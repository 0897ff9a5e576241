/**
 * A PostgreSQL server for integration tests: `GOBQ_TEST_POSTGRES_URL`, else a testcontainers
 * container, else none (the tests skip with one line saying why). Lives with the store tests,
 * which use it too.
 */
export { findTestPostgres, TEST_POSTGRES_URL_VARIABLE, useFreshSchemas } from "../../src/store/storetest/postgres-server.js";
