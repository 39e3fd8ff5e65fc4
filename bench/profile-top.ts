/**
 * Summarise V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --cpu-prof /tmp/prof`):
 * the functions with the most self time, and self time by package or source file.
 *
 *   npx tsx bench/profile-top.ts <file.cpuprofile | directory> [--top 25] [--from-ms A] [--to-ms B]
 *
 * --from-ms/--to-ms keep only samples taken that long after the profile started (the benchmark prints
 * the window of its measured rounds), leaving start-up (module loading, schema build) and warm-up out.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/<pkg>` (scoped too), a project-relative path, or `(node)` for Node's own modules. */
function owner(url: string): string {
  if (url === "") return "(vm)";
  if (url.startsWith("node:")) return `(node) ${url.slice(5).split("/")[0]}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const i = url.search(/\/(dist|src|bench)\//);
  return i >= 0 ? url.slice(i + 1) : url;
}

function summarise(file: string, top: number, fromMs: number, toMs: number): void {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at / 1000 < fromMs || at / 1000 > toMs) continue;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === "(idle)") idle += us;
    const where = cf.url ? `${owner(cf.url)}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = cf.url ? owner(cf.url) : cf.functionName;
    owners.set(o, (owners.get(o) ?? 0) + us);
  }
  const busy = total - idle;
  const pctOf = (us: number, of: number) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
  const window = Number.isFinite(toMs) || fromMs > 0 ? ` between ${fromMs} and ${toMs} ms` : "";
  console.log(
    `\n${file}\n  ${(total / 1e6).toFixed(1)} s sampled${window}, ${(busy / 1e6).toFixed(1)} s busy (percentages below are of busy time)`,
  );
  console.log(`\n  top ${top} functions by self time`);
  for (const [k, us] of [...fns]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`  ${pctOf(us, busy)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
  console.log(`\n  self time by package / file`);
  for (const [k, us] of [...owners]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`  ${pctOf(us, busy)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
  }
}

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = Number(args.splice(i, 2)[1]);
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
  return v;
};
const top = opt("--top", 25);
const fromMs = opt("--from-ms", 0);
const toMs = opt("--to-ms", Infinity);
const target = args[0];
if (!target) {
  console.error("usage: tsx bench/profile-top.ts <file.cpuprofile | directory> [--top 25] [--from-ms A] [--to-ms B]");
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(target, f))
  : [target];
if (files.length === 0) console.error(`no .cpuprofile in ${target}`);
for (const f of files) summarise(f, top, fromMs, toMs);
