/**
 * The composition root and the `gobq` command. The only module that reads flags and
 * process.env; everything else receives what it needs explicitly.
 */
import { Command } from "commander";
import pino from "pino";
import { TaskClient } from "@gobq/sdk";
import { ConfigError, loadConfig, validate, validateStore, withDefaults, type ServeOptions } from "./config/config.js";
import {
  DEFAULT_SERVER_URL,
  durationFlag,
  enqueueOptionsFrom,
  limitsFrom,
  listQueryFrom,
  serverUrlFrom,
  type ClientFlags,
  type EnqueueFlags,
  type LimitsFlags,
  type ListFlags,
} from "./cli/client-flags.js";
import type { CommandContext } from "./cli/command-context.js";
import { CommandError, toCommandError } from "./cli/command-error.js";
import { showStats } from "./cli/stats.js";
import { pauseCategory, resumeCategory, setCategoryLimits } from "./cli/category-commands.js";
import { cancelTask, enqueueTask, getTask, listTasks, purgeTasks, retryTask } from "./cli/task-commands.js";
import { watchTask } from "./cli/watch.js";
import { StoreOpenError } from "./store/store.js";
import { ListenError } from "./server/server.js";

/** Errors that are the user's to fix: one clear line, exit code 1, no stack trace. */
function isUserError(err: unknown): err is Error {
  return err instanceof ConfigError || err instanceof StoreOpenError || err instanceof ListenError || err instanceof CommandError;
}

const program = new Command("gobq").description("gobq: a durable, priority-ordered task queue served over gRPC");

program
  .command("serve")
  .description("serve TaskService and WorkerService (default: DuckDB at ./data/gobq.duckdb on 127.0.0.1:50051)")
  .option("--listen <host:port>", "HTTP/2 listener for gRPC, gRPC-Web and Connect (default 127.0.0.1:50051)")
  .option("--http-listen <host:port|off>", "HTTP/1.1 listener for Connect JSON and gRPC-Web (default 127.0.0.1:50052; off with --tls-cert)")
  .option("--store <location>", "duckdb:PATH, memory: or postgres://USER@HOST:PORT/DB (default duckdb:./data/gobq.duckdb)")
  .option("--store-schema <name>", "with a PostgreSQL store: the schema holding gobq's tables (default gobq)")
  .option("--retention <duration>", "delete finished tasks this long after they finish; 0 keeps them (default 7d)")
  .option("--max-payload-bytes <n>", "largest args + kwargs of a task as JSON (default 1048576)")
  .option("--max-message-bytes <n>", "largest request message (default 33554432)")
  .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (default info)")
  .option("--max-queued <n>", "tasks waiting to run, all categories together; beyond it enqueues get RESOURCE_EXHAUSTED (default 1000000)")
  .option("--max-queued-per-category <n>", "the same limit within one category (default 1000000: only --max-queued binds)")
  .option("--max-watchers <n>", "open WatchTask/WatchTasks streams, each ≈ 37 KB heap and 57 KB RSS (default 5000)")
  .option("--max-pollers <n>", "LeaseTasks long-polls waiting at once, each ≈ 37 KB heap and 57 KB RSS (default 5000)")
  .option("--tokens <file>", "JSON list of bearer tokens and their roles; env GOBQ_TOKENS_FILE, or GOBQ_TOKENS for the list itself (default: no authentication)")
  .option("--tls-cert <file>", "PEM certificate chain: serve over TLS, HTTP/2 and HTTP/1.1 on the --listen port")
  .option("--tls-key <file>", "PEM private key of --tls-cert")
  .option("--tls-client-ca <file>", "PEM CA certificates: every client must present a certificate they signed")
  .option("--insecure", "serve without authentication on an address other machines can reach")
  .action(async (flags: ServeOptions) => {
    const config = validate(withDefaults(loadConfig(flags, process.env)));
    const log = pino({ level: config.logLevel }, pino.destination(2));
    // Loaded here, not at the top: the store drivers and the scheduler would otherwise add
    // ~0.4 s to every client command, which needs none of them.
    const { serve } = await import("./cli/serve.js");
    await serve(config, log);
  });

program
  .command("migrate")
  .description("create or upgrade the store's schema, then exit (serve also does it when it starts)")
  .option("--store <location>", "duckdb:PATH, memory: or postgres://USER@HOST:PORT/DB (default duckdb:./data/gobq.duckdb)")
  .option("--store-schema <name>", "with a PostgreSQL store: the schema holding gobq's tables (default gobq)")
  .action(async (flags: Pick<ServeOptions, "store" | "storeSchema">) => {
    const location = validateStore(withDefaults(loadConfig(flags, process.env)));
    const { migrateStore } = await import("./cli/migrate.js");
    await migrateStore(location, process.stdout);
  });

/** A client command, with --server and --json on the command itself so they may follow its arguments. */
function clientCommand(spec: string, description: string): Command {
  return program
    .command(spec)
    .description(description)
    .option("--server <url>", `the gobq server's HTTP/2 URL (env GOBQ_SERVER, default ${DEFAULT_SERVER_URL})`)
    .option("--json", "print the SDK's objects as JSON")
    .addHelpText("after", "\nEnvironment: GOBQ_TOKEN is the bearer token sent to a server started with --tokens.");
}

/** Runs a client command against the server named by --server or GOBQ_SERVER; errors become one line. */
async function withClient(flags: ClientFlags, run: (ctx: CommandContext) => Promise<void>): Promise<void> {
  const serverUrl = serverUrlFrom(flags.server, process.env.GOBQ_SERVER);
  const token = process.env.GOBQ_TOKEN || undefined;
  const ctx: CommandContext = { client: new TaskClient({ baseUrl: serverUrl, token }), out: process.stdout, json: flags.json === true };
  try {
    await run(ctx);
  } catch (err) {
    throw toCommandError(err, serverUrl) ?? err;
  }
}

clientCommand("enqueue <name>", "queue a task and print its id")
  .option("--category <category>", 'the worker pool that runs it (default "default")')
  .option("--priority <priority>", "low, normal, high or critical (default normal)")
  .option("--args <json>", "positional arguments, a JSON list")
  .option("--kwargs <json>", "keyword arguments, a JSON object")
  .option("--max-retries <n>", "retries after the first attempt, 0 to 100 (default 0)")
  .option("--delay <duration>", "run no sooner than this from now, e.g. 10s")
  .option("--timeout <duration>", "an attempt running longer than this fails, e.g. 30s")
  .option("--idempotency-key <key>", "a second enqueue with the same key returns the first task")
  .option("--wait", "wait for the final status and print it; exit code 1 if it failed or was cancelled")
  .action((name: string, flags: ClientFlags & EnqueueFlags & { wait?: boolean }) => {
    const options = enqueueOptionsFrom(flags);
    return withClient(flags, (ctx) => enqueueTask(ctx, name, options, flags.wait === true));
  });

clientCommand("get <id>", "show a task").action((id: string, flags: ClientFlags) => withClient(flags, (ctx) => getTask(ctx, id)));

clientCommand("list", "list tasks, newest first")
  .option("--category <category>", "only this category")
  .option("--status <status>", "only this status: pending, started, success, failed, cancelled or retry")
  .option("--name <name>", "only tasks of this name")
  .option("--limit <n>", "at most this many tasks (default 100)")
  .action((flags: ClientFlags & ListFlags) => {
    const { filter, limit } = listQueryFrom(flags);
    return withClient(flags, (ctx) => listTasks(ctx, filter, limit));
  });

clientCommand("watch <id>", "follow a task until it ends; exit code 1 if it failed or was cancelled").action(
  (id: string, flags: ClientFlags) => withClient(flags, (ctx) => watchTask(ctx, id)),
);

clientCommand("stats", "a table of counts and settings per category, and totals by status").action(
  (flags: ClientFlags) => withClient(flags, (ctx) => showStats(ctx)),
);

clientCommand("cancel <id>", "cancel a task: a queued one never runs, a running one is stopped by its worker").action(
  (id: string, flags: ClientFlags) => withClient(flags, (ctx) => cancelTask(ctx, id)),
);

clientCommand("retry <id>", "run a failed task again").action((id: string, flags: ClientFlags) =>
  withClient(flags, (ctx) => retryTask(ctx, id)),
);

clientCommand("pause <category>", "stop leasing a category: its tasks are still accepted, none runs until resume (admin)").action(
  (category: string, flags: ClientFlags) => withClient(flags, (ctx) => pauseCategory(ctx, category)),
);

clientCommand("resume <category>", "lease a paused category again (admin)").action((category: string, flags: ClientFlags) =>
  withClient(flags, (ctx) => resumeCategory(ctx, category)),
);

clientCommand("limits <category>", "cap a category across all workers; prints its settings (admin)")
  .option("--max-running <n>", "at most this many of its tasks running at once; 0 removes the limit")
  .option("--max-starts-per-second <r>", "at most this many leases started per second, e.g. 5 or 0.5; 0 removes the limit")
  .addHelpText("after", "\nA limit not given stays as it is; with neither, the settings are only shown.")
  .action((category: string, flags: ClientFlags & LimitsFlags) => {
    const limits = limitsFrom(flags);
    return withClient(flags, (ctx) => setCategoryLimits(ctx, category, limits));
  });

clientCommand("purge", "delete finished tasks")
  .requiredOption("--older-than <duration>", "that finished more than this long ago, e.g. 7d")
  .action((flags: ClientFlags & { olderThan: string }) => {
    const olderThanMs = durationFlag("--older-than", flags.olderThan);
    return withClient(flags, (ctx) => purgeTasks(ctx, olderThanMs));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isUserError(err)) {
    process.stderr.write(`gobq: ${err.message}\n`);
  } else {
    process.stderr.write(`gobq: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
});
