/**
 * Reads the Dockerfile and .dockerignore as Docker does, as far as the deployment tests need:
 * stages, instructions, ENV, exec-form commands, HEALTHCHECK, and which context paths the
 * build sees. No container engine runs where the tests do; this lets them check the file and
 * run its commands on the host instead.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the build context of the Dockerfile and docker-compose.yml. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** One instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** One `FROM … [AS name]` and the instructions after it. */
export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The health check of an image or service: a command, or none. */
export type HealthCheck = { kind: "none" } | { kind: "command"; argv: string[]; shell: boolean };

/** Splits a Dockerfile into stages; comments and parser directives are dropped. */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    pending += (pending ? " " : "") + line.replace(/\\$/, "").trim();
    if (line.endsWith("\\")) continue;
    const m = /^(\S+)\s*(.*)$/.exec(pending)!;
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]! });
    pending = "";
  }
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const [from, as, name] = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      stages.push({ from: from!, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${ins.keyword} before the first FROM`);
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** The repository's Dockerfile, parsed. */
export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
}

/** The arguments of an exec-form instruction (`["a", "b"]`); throws on the shell form. */
export function execForm(args: string): string[] {
  const parsed: unknown = args.trim().startsWith("[") ? JSON.parse(args) : undefined;
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`expected the exec form ["…", …], got ${args}`);
  }
  return parsed;
}

/** Instructions of a stage with this keyword, in order. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The last instruction with this keyword (the one in force), if any. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return all(stage, keyword).at(-1);
}

/** The environment ENV instructions set (`ENV A=1 B=2`; values without spaces or in double quotes). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of all(stage, "ENV")) {
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    }
  }
  return env;
}

/** The stage's HEALTHCHECK: its options (`--interval=10s` → interval: "10s") and command. */
export function stageHealthCheck(stage: Stage): { options: Record<string, string>; check: HealthCheck } | undefined {
  const ins = last(stage, "HEALTHCHECK");
  if (!ins) return undefined;
  const options: Record<string, string> = {};
  let rest = ins.args;
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  if (/^NONE$/i.test(rest.trim())) return { options, check: { kind: "none" } };
  const cmd = /^CMD\s+(.*)$/i.exec(rest);
  if (!cmd) throw new Error(`HEALTHCHECK without CMD: ${ins.args}`);
  const body = cmd[1]!.trim();
  const check: HealthCheck = body.startsWith("[")
    ? { kind: "command", argv: execForm(body), shell: false }
    : { kind: "command", argv: [body], shell: true };
  return { options, check };
}

/**
 * Whether the build context keeps `path` (relative, with `/`) under these .dockerignore
 * patterns: the last pattern matching the path or a folder above it decides, `!` keeps.
 */
export function keptByDockerignore(path: string, patterns: readonly string[]): boolean {
  const parts = path.split("/");
  let kept = true;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const re = globToRegExp(pattern);
    for (let n = 1; n <= parts.length; n++) {
      if (re.test(parts.slice(0, n).join("/"))) {
        kept = negated;
        break;
      }
    }
  }
  return kept;
}

/** The patterns of the repository's .dockerignore, comments and blank lines dropped. */
export function readDockerignore(): string[] {
  return readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

// Docker's rules: `*` and `?` stay within one path segment, `**` spans any number of them.
function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
