/**
 * The composition root and the `gobq` command. The only module that reads flags and
 * process.env; everything else receives what it needs explicitly.
 */
import { Command } from "commander";
import pino from "pino";
import { ConfigError, loadConfig, validate, withDefaults, type ServeOptions } from "./config/config.js";
import { serve } from "./cli/serve.js";
import { StoreOpenError } from "./store/store.js";
import { ListenError } from "./server/server.js";

/** Errors that are the user's to fix: one clear line, exit code 1, no stack trace. */
function isUserError(err: unknown): err is Error {
  return err instanceof ConfigError || err instanceof StoreOpenError || err instanceof ListenError;
}

const program = new Command("gobq").description("gobq: a durable, priority-ordered task queue served over gRPC");

program
  .command("serve")
  .description("serve TaskService and WorkerService (default: DuckDB at ./data/gobq.duckdb on 127.0.0.1:50051)")
  .option("--listen <host:port>", "HTTP/2 listener for gRPC, gRPC-Web and Connect (default 127.0.0.1:50051)")
  .option("--http-listen <host:port|off>", "HTTP/1.1 listener for Connect JSON and gRPC-Web (default 127.0.0.1:50052)")
  .option("--store <location>", "duckdb:PATH or memory: (default duckdb:./data/gobq.duckdb)")
  .option("--retention <duration>", "delete finished tasks this long after they finish; 0 keeps them (default 7d)")
  .option("--max-payload-bytes <n>", "largest args + kwargs of a task as JSON (default 1048576)")
  .option("--max-message-bytes <n>", "largest request message (default 33554432)")
  .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (default info)")
  .action(async (flags: ServeOptions) => {
    const config = validate(withDefaults(loadConfig(flags, process.env)));
    const log = pino({ level: config.logLevel }, pino.destination(2));
    await serve(config, log);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isUserError(err)) {
    process.stderr.write(`gobq: ${err.message}\n`);
  } else {
    process.stderr.write(`gobq: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
});
