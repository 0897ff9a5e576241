/**
 * docker-compose.yml as Compose reads it, for the parts the deployment test runs: YAML with
 * anchors and merge keys, `${VAR}` interpolation, services normalised to one shape, and the
 * order `depends_on` starts them in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { REPO_ROOT } from "./dockerfile.js";

/** A service, normalised: lists where Compose allows a string or a list, maps for environment and depends_on. */
export interface ComposeService {
  image: string | undefined;
  /** The build context, if the service is built from a Dockerfile. */
  build: string | undefined;
  entrypoint: string[] | undefined;
  command: string[] | undefined;
  environment: Record<string, string>;
  /** undefined: the image's; "none": disabled; otherwise Compose's `test` list. */
  healthcheck: "none" | string[] | undefined;
  /** Compose's default is "no". */
  restart: string;
  dependsOn: Record<string, string>;
}

/**
 * Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
 * `$VAR` and `$$` as Compose does. A variable that is not in `vars` and has no default is an
 * error here (Compose would warn and substitute ""), so the test knows every variable the file needs.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (m, braced, colon, op, arg, bare) => {
    if (m === "$$") return "$";
    const name = (braced ?? bare) as string;
    const value = vars[name];
    const unset = value === undefined || (colon === ":" && value === "");
    if (!unset) return value;
    if (op === "-") return arg as string;
    if (op === "?") throw new Error(`${name}: ${arg as string}`);
    throw new Error(`the compose file uses \${${name}}, which the test does not provide`);
  });
}

/** The repository's docker-compose.yml with `vars` substituted, services normalised. */
export function readCompose(vars: Readonly<Record<string, string>>): Record<string, ComposeService> {
  const doc = yaml.load(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8")) as { services?: Record<string, unknown> };
  if (!doc?.services) throw new Error("docker-compose.yml has no services");
  const out: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(doc.services)) {
    out[name] = normalise(name, substitute(raw, vars) as Record<string, unknown>);
  }
  return out;
}

/** Service names in an order that starts every service after those it depends on. */
export function startOrder(services: Readonly<Record<string, ComposeService>>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, from: string) => {
    const service = services[name];
    if (!service) throw new Error(`${from} depends on ${name}, which is not a service`);
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new Error(`depends_on has a cycle through ${name}`);
    state.set(name, "visiting");
    for (const dep of Object.keys(service.dependsOn)) visit(dep, name);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name, name);
  return order;
}

function substitute(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === "string") return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

function normalise(name: string, s: Record<string, unknown>): ComposeService {
  const list = (key: string): string[] | undefined => {
    const v = s[key];
    if (v === undefined) return undefined;
    // A string would go through Compose's own shell-like splitting; the exec form says exactly what runs.
    if (!Array.isArray(v)) throw new Error(`${name}.${key}: write it as a list, not ${JSON.stringify(v)}`);
    return v.map(String);
  };
  const env: Record<string, string> = {};
  const rawEnv = s.environment ?? {};
  for (const [k, v] of Array.isArray(rawEnv) ? rawEnv.map((e) => String(e).split(/=(.*)/s)) : Object.entries(rawEnv)) {
    env[k as string] = v === null || v === undefined ? "" : String(v);
  }
  const rawDeps = s.depends_on ?? {};
  const dependsOn: Record<string, string> = Array.isArray(rawDeps)
    ? Object.fromEntries(rawDeps.map((d) => [String(d), "service_started"]))
    : Object.fromEntries(Object.entries(rawDeps as Record<string, { condition?: string }>).map(([d, c]) => [d, c?.condition ?? "service_started"]));
  const hc = s.healthcheck as { disable?: boolean; test?: string | string[] } | undefined;
  const healthcheck = !hc ? undefined : hc.disable || (Array.isArray(hc.test) && hc.test[0] === "NONE") ? "none" : hc.test === undefined ? undefined : typeof hc.test === "string" ? ["CMD-SHELL", hc.test] : hc.test.map(String);
  const build = s.build === undefined ? undefined : typeof s.build === "string" ? s.build : String((s.build as { context?: string }).context ?? ".");
  return {
    image: s.image === undefined ? undefined : String(s.image),
    build,
    entrypoint: list("entrypoint"),
    command: list("command"),
    environment: env,
    healthcheck,
    restart: s.restart === undefined ? "no" : String(s.restart),
    dependsOn,
  };
}
