// Reads V8 .cpuprofile files (written by `node --cpu-prof`) and ranks functions by self time, and
// the repository's own functions by inclusive time. Used by `npm run bench -- --profile`, and on its
// own: `node --import tsx bench/profile-summary.ts <file.cpuprofile>… [--top N]`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface RankedFunction {
  /** "name (file:line)", the file relative to the repository or node_modules. */
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  files: string[];
  totalMs: number;
  /** Sampled time outside the program (idle, garbage collection, the profiler itself). */
  idleMs: number;
  gcMs: number;
  bySelf: RankedFunction[];
  /** Functions under src/ and gen/, by the time spent in them and everything they called. */
  srcInclusive: RankedFunction[];
  /** Self time per package (node_modules/<name>), src/, gen/, node: internals. */
  byOrigin: RankedFunction[];
}

const repoUrl = new URL("..", import.meta.url).href;

function shortFile(url: string): string {
  if (url === "") return "";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + "/node_modules/".length);
  return url.startsWith(repoUrl) ? url.slice(repoUrl.length) : url.replace(/^file:\/\//, "");
}

function origin(url: string): string {
  const file = shortFile(url);
  if (file === "") return "(native/vm)";
  if (url.startsWith("node:")) return "node: internals";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = file.split("/");
    return `node_modules/${parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const top = file.split("/")[0] ?? file;
  return ["src", "gen", "bench", "bin", "dist"].includes(top) ? `${top}/` : file;
}

function label(node: ProfileNode): string {
  const frame = node.callFrame;
  const file = shortFile(frame.url);
  const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
  return file === "" ? name : `${name} (${file}:${frame.lineNumber + 1})`;
}

const isOwnCode = (url: string) => url.startsWith(repoUrl) && /^(src|gen|dist)\//.test(url.slice(repoUrl.length));

function rank(totals: Map<string, number>, totalMs: number, top: number): RankedFunction[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, percent: Math.round((ms / totalMs) * 1000) / 10 }));
}

/** Adds up one or more profiles (e.g. one per load phase) and ranks what they spent their time on. */
export function summarizeProfiles(files: string[], top = 25): ProfileSummary {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const hits = new Map<number, number>();
    profile.samples.forEach((id, index) => hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
    for (const [id, ms] of hits) {
      const node = byId.get(id);
      if (node === undefined) continue;
      totalMs += ms;
      const name = node.callFrame.functionName;
      if (name === "(idle)" || name === "(program)") {
        idleMs += ms;
        continue;
      }
      if (name === "(garbage collector)") gcMs += ms;
      const key = label(node);
      self.set(key, (self.get(key) ?? 0) + ms);
      const from = origin(node.callFrame.url);
      byOrigin.set(from, (byOrigin.get(from) ?? 0) + ms);
      // Inclusive time: once per distinct own function on the stack (recursion counts once).
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at);
        if (frame === undefined || !isOwnCode(frame.callFrame.url)) continue;
        const own = label(frame);
        if (seen.has(own)) continue;
        seen.add(own);
        inclusive.set(own, (inclusive.get(own) ?? 0) + ms);
      }
    }
  }
  const busyMs = Math.max(totalMs - idleMs, 1e-9);
  return {
    files,
    totalMs: Math.round(totalMs),
    idleMs: Math.round(idleMs),
    gcMs: Math.round(gcMs),
    bySelf: rank(self, busyMs, top),
    srcInclusive: rank(inclusive, busyMs, top),
    byOrigin: rank(byOrigin, busyMs, 15),
  };
}

/** The summary as text: percentages are of the busy (non-idle) time. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const busy = summary.totalMs - summary.idleMs;
  const table = (title: string, rows: RankedFunction[]) => [
    title,
    ...rows.map((row) => `  ${row.ms.toFixed(1).padStart(9)} ms ${row.percent.toFixed(1).padStart(5)}%  ${row.name}`),
  ];
  return [
    `CPU profile: ${summary.files.length} file(s), ${summary.totalMs} ms sampled, ${busy} ms busy (${summary.gcMs} ms GC), ${summary.idleMs} ms idle`,
    ...table("top functions by self time", summary.bySelf),
    ...table("own functions (src/, gen/) by inclusive time", summary.srcInclusive),
    ...table("self time by origin", summary.byOrigin),
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf("--top");
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
  if (args.length === 0) {
    process.stderr.write("usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>… [--top N]\n");
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summarizeProfiles(args, top))}\n`);
}
