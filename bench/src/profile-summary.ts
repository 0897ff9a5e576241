/**
 * Summarises the `.cpuprofile` files that `--cpu-prof DIR` wrote, for a terminal or a note:
 *
 *   node --import tsx bench/src/profile-summary.ts DIR [--tasks N] [--top K]
 *
 * For each profile (one per thread of the gobq server, one per producer and worker): the
 * busy (not idle) time within its active window — from the first to the last sample inside
 * gobq's or the harness's code, so start-up and shutdown do not count — with garbage
 * collection apart and, given `--tasks`, per task; then the K functions with the most self
 * and inclusive time in that window. On a machine others use too, busy time per task is the
 * figure to compare: wall-clock rates move with their load.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Frames whose presence marks a sample as the workload's… */
const ACTIVE = /(src\/server|src\/scheduler|src\/store|sdk\/src|gobq-client|roles|child\.js)/;
/** …unless it is a module being loaded. */
const LOADING = /^node:internal\/modules\//;

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, "nm/").replace(/^file:\/\/.*?\/(src|sdk|bench|bin)\//, "$1/");
  return `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
}

/** Busy time, GC time and per-function self and inclusive time (µs) within the active window. */
function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Per node: whether its stack holds the workload's code, and whether it is loading modules.
  const kind = new Map<number, { ours: boolean; loading: boolean }>();
  const kindOf = (id: number): { ours: boolean; loading: boolean } => {
    let known = kind.get(id);
    if (known === undefined) {
      const up = parent.get(id);
      const above = up === undefined ? { ours: false, loading: false } : kindOf(up);
      const { url } = byId.get(id)!.callFrame;
      known = { ours: above.ours || ACTIVE.test(url), loading: above.loading || LOADING.test(url) };
      kind.set(id, known);
    }
    return known;
  };
  const isActive = (id: number): boolean => kindOf(id).ours && !kindOf(id).loading;
  const first = profile.samples.findIndex(isActive);
  const last = profile.samples.findLastIndex(isActive);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let windowUs = 0;
  let busyUs = 0;
  let gcUs = 0;
  for (let i = Math.max(first, 0) + 1; first >= 0 && i <= last; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]!)!;
    windowUs += dt;
    if (node.callFrame.functionName === "(idle)") continue;
    busyUs += dt;
    if (node.callFrame.functionName === "(garbage collector)") gcUs += dt;
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  }
  return { windowUs, busyUs, gcUs, self, inclusive };
}

function top(times: Map<string, number>, k: number): string[] {
  return [...times]
    .filter(([l]) => !l.startsWith("(root)") && !l.startsWith("(program)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([l, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms  ${l}`);
}

function main(argv: readonly string[]): void {
  const dir = argv[0];
  if (!dir || dir.startsWith("--")) throw new Error("usage: profile-summary.ts DIR [--tasks N] [--top K]");
  const flag = (name: string, fallback: number) => {
    const at = argv.indexOf(name);
    const n = at < 0 ? fallback : Number(argv[at + 1]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: must be a whole number, got ${argv[at + 1]}`);
    return n;
  };
  const tasks = flag("--tasks", 0);
  const k = flag("--top", 15);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort()) {
    let profile: Profile;
    try {
      profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
    } catch {
      continue; // a process killed before it wrote its profile leaves an empty file
    }
    const s = summarise(profile);
    if (s.busyUs === 0) continue; // a loader thread: no gobq code ran in it
    const perTask = tasks > 0 ? `, ${(s.busyUs / tasks).toFixed(1)} µs/task` : "";
    console.log(`\n${file}: busy ${(s.busyUs / 1000).toFixed(0)} of ${(s.windowUs / 1000).toFixed(0)} ms (GC ${(s.gcUs / 1000).toFixed(0)} ms)${perTask}`);
    console.log("  self:");
    for (const line of top(s.self, k)) console.log(`    ${line}`);
    console.log("  inclusive:");
    for (const line of top(s.inclusive, k)) console.log(`    ${line}`);
  }
}

main(process.argv.slice(2));
