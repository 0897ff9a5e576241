/**
 * Runs docker-compose.yml's services as host processes, as Compose would run them in
 * containers: the image's ENV, ENTRYPOINT and HEALTHCHECK from the Dockerfile, each service's
 * overrides, `depends_on` order and conditions. What differs, and only that:
 * - the PostgreSQL service is not run; URLs naming it point at a given database instead, and
 *   the schema is a fresh one;
 * - listeners take free ports on 127.0.0.1, and `http://SERVICE:PORT` becomes the address
 *   that service's listener really got;
 * - paths under the image's WORKDIR are the repository's (the build context).
 */
import { join } from "node:path";
import type { ComposeService } from "./compose-file.js";
import { execForm, last, REPO_ROOT, stageEnv, stageHealthCheck, type HealthCheck, type Stage } from "./dockerfile.js";
import { runToEnd, spawnService, type ServiceProcess } from "./service-process.js";

/** What the host puts in place of the containers' surroundings. */
export interface HostStandIns {
  /** Replaces every postgres:// URL whose host is the compose file's database service. */
  databaseUrl: string;
  /** Replaces GOBQ_STORE_SCHEMA (or --store-schema): a fresh schema for this run. */
  schema: string;
}

/** The runtime stage of the Dockerfile, as a service inherits it. */
export interface Image {
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  healthcheck: HealthCheck | undefined;
}

/** What a run started and what came of it. */
export interface ComposeRun {
  /** Long-running services, by name. */
  running: Map<string, ServiceProcess>;
  /** One-shot services that exited 0, with their output. */
  finished: Map<string, { stdout: string; stderr: string }>;
  /** Where each `gobq serve` listens. */
  listeners: Map<string, { url: string; httpUrl: string | undefined }>;
  /** Services whose health check passed. */
  healthy: Set<string>;
  /** Runs a service's health check once, now; resolves with its exit code. */
  checkHealth(name: string): Promise<number | string>;
  /** Stops the long-running services, last started first. */
  stop(): Promise<void>;
}

const LISTEN_KEYS = new Set(["GOBQ_LISTEN", "GOBQ_HTTP_LISTEN"]);
const FLAG_KEYS: Record<string, string> = {
  "--listen": "GOBQ_LISTEN",
  "--http-listen": "GOBQ_HTTP_LISTEN",
  "--store": "GOBQ_STORE",
  "--store-schema": "GOBQ_STORE_SCHEMA",
  "--server": "GOBQ_SERVER",
};
const LONG_RUNNING = new Set(["always", "unless-stopped"]);

/** The last stage of the Dockerfile: what the built image runs. */
export function imageOf(stages: readonly Stage[]): Image {
  const stage = stages.at(-1)!;
  const entrypoint = last(stage, "ENTRYPOINT");
  const cmd = last(stage, "CMD");
  return {
    env: stageEnv(stage),
    entrypoint: entrypoint ? execForm(entrypoint.args) : [],
    cmd: cmd ? execForm(cmd.args) : [],
    workdir: last(stage, "WORKDIR")?.args.trim() ?? "/",
    healthcheck: stageHealthCheck(stage)?.check,
  };
}

/** Whether Compose would restart the service when it exits: a server, not a one-shot job. */
export function isLongRunning(s: ComposeService): boolean {
  return LONG_RUNNING.has(s.restart);
}

/** A service that runs the compose file's PostgreSQL image, which the host replaces. */
export function isDatabase(s: ComposeService): boolean {
  return s.build === undefined && /^postgres(:|$)/.test(s.image ?? "");
}

/** The command a service built from the Dockerfile runs: Compose's entrypoint/command over the image's. */
export function commandOf(s: ComposeService, image: Image): string[] {
  const entrypoint = s.entrypoint ?? image.entrypoint;
  // Compose drops the image's CMD when a service sets its own entrypoint.
  return [...entrypoint, ...(s.command ?? (s.entrypoint ? [] : image.cmd))];
}

/** The health check in force for a service built from the Dockerfile. */
export function healthCheckOf(s: ComposeService, image: Image): HealthCheck | undefined {
  if (s.healthcheck === "none") return { kind: "none" };
  if (!s.healthcheck) return image.healthcheck;
  const [kind, ...rest] = s.healthcheck;
  if (kind === "CMD") return { kind: "command", argv: rest, shell: false };
  if (kind === "CMD-SHELL") return { kind: "command", argv: [rest.join(" ")], shell: true };
  throw new Error(`healthcheck test ${JSON.stringify(s.healthcheck)} is not CMD, CMD-SHELL or NONE`);
}

/** Starts every service in `order`; on any failure stops what it started and rethrows. */
export async function runCompose(
  services: Readonly<Record<string, ComposeService>>,
  order: readonly string[],
  image: Image,
  standIns: HostStandIns,
): Promise<ComposeRun> {
  const databases = new Set(order.filter((n) => isDatabase(services[n]!)));
  const addresses = new Map<string, string>(); // "service:containerPort" → "127.0.0.1:hostPort"
  const envs = new Map<string, NodeJS.ProcessEnv>();
  const run: ComposeRun = {
    running: new Map(),
    finished: new Map(),
    listeners: new Map(),
    healthy: new Set(),
    checkHealth: (name) => checkHealth(name),
    async stop() {
      for (const p of [...run.running.values()].reverse()) await p.stop();
    },
  };

  const toHost = (service: string, key: string, value: string): string => {
    if (LISTEN_KEYS.has(key)) return value === "off" ? value : "127.0.0.1:0";
    if (key === "GOBQ_STORE_SCHEMA") return standIns.schema;
    if (/^postgres(ql)?:\/\//.test(value) && databases.has(new URL(value).hostname)) return standIns.databaseUrl;
    return value.replace(/\b(https?:\/\/)([A-Za-z0-9_.-]+):(\d+)/g, (m, scheme: string, host: string, port: string) => {
      if (!services[host]) return m;
      if (!services[service]!.dependsOn[host]) throw new Error(`${service} reaches ${host} but does not depend on it`);
      const at = addresses.get(`${host}:${port}`);
      if (!at) throw new Error(`${service} reaches ${host}:${port}, where ${host} does not listen`);
      return scheme + at;
    });
  };
  const hostArgv = (service: string, argv: readonly string[]): string[] =>
    argv.map((a, i) => {
      const flag = /^(--[a-z-]+)=(.*)$/s.exec(a);
      if (i === 0 && a === "node") return process.execPath;
      if (flag && FLAG_KEYS[flag[1]!]) return `${flag[1]}=${toHost(service, FLAG_KEYS[flag[1]!]!, flag[2]!)}`;
      const previous = FLAG_KEYS[argv[i - 1] ?? ""];
      if (previous) return toHost(service, previous, a);
      if (a.startsWith(`${image.workdir}/`)) return join(REPO_ROOT, a.slice(image.workdir.length + 1));
      return toHost(service, "", a);
    });
  // The listener addresses as the container sees them: flags over environment, as gobq reads them.
  const containerSetting = (argv: readonly string[], env: Record<string, string>, key: string): string | undefined => {
    for (let i = argv.length - 1; i >= 0; i--) {
      const flag = /^(--[a-z-]+)=(.*)$/s.exec(argv[i]!);
      if (flag && FLAG_KEYS[flag[1]!] === key) return flag[2];
      if (FLAG_KEYS[argv[i - 1] ?? ""] === key) return argv[i];
    }
    return env[key];
  };

  async function checkHealth(name: string): Promise<number | string> {
    const check = healthCheckOf(services[name]!, image);
    if (check?.kind !== "command") throw new Error(`${name} has no health check`);
    const argv = check.shell ? ["/bin/sh", "-c", check.argv[0]!] : hostArgv(name, check.argv);
    return (await runToEnd(`${name} health check`, argv, envs.get(name)!, REPO_ROOT, 10_000)).code;
  }

  try {
    for (const name of order) {
      const s = services[name]!;
      if (databases.has(name)) continue;
      if (s.build === undefined) throw new Error(`${name}: only the database and services built from the Dockerfile can run outside containers`);
      for (const [dep, condition] of Object.entries(s.dependsOn)) {
        const d = services[dep]!;
        if (condition === "service_healthy" && !isDatabase(d) && healthCheckOf(d, image)?.kind !== "command") {
          throw new Error(`${name} waits for ${dep} to be healthy, but ${dep} has no health check: it would never start`);
        }
        if (condition === "service_completed_successfully" && isLongRunning(d)) {
          throw new Error(`${name} waits for ${dep} to complete, but ${dep} is restarted whenever it exits`);
        }
      }
      const containerEnv = { ...image.env, ...s.environment };
      const containerArgv = commandOf(s, image);
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("GOBQ_") && !k.startsWith("PG")),
      );
      for (const [k, v] of Object.entries(containerEnv)) env[k] = toHost(name, k, v);
      envs.set(name, env);
      const argv = hostArgv(name, containerArgv);

      if (!isLongRunning(s)) {
        const r = await runToEnd(name, argv, env, REPO_ROOT, 90_000);
        if (r.code !== 0) throw new Error(`${name} (${argv.join(" ")}) exited ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`);
        run.finished.set(name, r);
        continue;
      }
      const p = spawnService(name, argv, env, REPO_ROOT);
      run.running.set(name, p);
      if (containerArgv.includes("serve")) {
        const m = await p.waitForOutput(/gobq listening (\S+)(?: (\S+))?\n/, 30_000);
        const [url, httpUrl] = [m[1]!, m[2]];
        run.listeners.set(name, { url, httpUrl });
        // What the container's listeners are, and so what the health check and other services name.
        for (const [key, actual] of [["GOBQ_LISTEN", url], ["GOBQ_HTTP_LISTEN", httpUrl]] as const) {
          const setting = containerSetting(containerArgv, containerEnv, key);
          if (!setting || !actual) continue;
          const hostPort = new URL(actual).host;
          addresses.set(`${name}:${setting.slice(setting.lastIndexOf(":") + 1)}`, hostPort);
          env[key] = hostPort;
        }
      }
      if (healthCheckOf(s, image)?.kind === "command") {
        const deadline = Date.now() + 30_000;
        for (let code = await checkHealth(name); code !== 0; code = await checkHealth(name)) {
          if (Date.now() > deadline) throw new Error(`${name} never became healthy; stderr: ${p.stderr()}`);
          await new Promise((r) => setTimeout(r, 500));
        }
        run.healthy.add(name);
      }
    }
    return run;
  } catch (err) {
    await run.stop();
    throw err;
  }
}
