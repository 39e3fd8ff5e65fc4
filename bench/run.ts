/**
 * `npm run bench`: the gateway against a hand-written reference proxy (bench/proxy.ts) and against the
 * controller itself, all as separate processes on 127.0.0.1, driven by autocannon from this process.
 *
 *   1  session(id), every scalar field and states     gateway | proxy GET /session/:id | direct GET /v1/sessions/{id}
 *   2  sessions(first: 100) with scope{name parent{name}}  gateway | proxy GET /sessions?first=100
 *   3  the whole listing (first omitted, pages of 1000)    gateway | direct walk of the same pages   (wall time, peak RSS)
 *   4  added latency at a fixed low rate (autocannon overallRate)  gateway | proxy | direct   (p50, p99)
 *      autocannon paces per connection and per second: each connection sends its share of a second back to
 *      back, then waits for the next second. With the default single connection that is one request at a
 *      time (no queueing in the target); a target slower than 1/rate cannot reach the rate (the table shows
 *      the rate reached). Latencies are exact per-response times, not autocannon's whole-ms histogram.
 *   5  sessions(first: 100) with every neighbour (target, user, host, hostSet, authToken: each one's scalar
 *      fields, from schema.graphql)                      gateway | proxy GET /sessions?first=100&neighbours=1
 *      (skipped when Session has no such fields)
 *   6  overload: 60 whole listings at once with a session(id) reader every 20 ms beside them   gateway
 *      (peak RSS; listings complete / OVERLOADED / failed and their times; the reader's p50, p99, max).
 *      Not in the default set; alone: `npm run bench -- --scenarios 6 --rounds 1`
 *      (BENCH_OVERLOAD_LISTINGS sets the burst's size, 60)
 *
 * Each scenario runs its targets alternately (A B C A B C ...) for `rounds` rounds and reports medians over
 * rounds, with ratios computed round by round from the same run. Upstream calls per operation come from
 * the emulator's opt-in call counter (CALL_STATS=1, see src/emulator/main.ts). Every run also records how
 * much CPU processes other than the benchmark's used meanwhile ("others %") and how much the hypervisor stole
 * ("steal %"): a shared machine shows there.
 *
 * The gateway runs compiled (`npm run build`, then `node dist/main.js`), as in production; `--tsx` runs
 * src/ through tsx instead. The emulator runs from the same build (dist/emulator/main.js); the proxy runs
 * through `node --import tsx` (transpiled once at load, then plain JavaScript).
 *
 * Knobs (flag or env; `npm run bench -- --duration 3 --latency 0,3`):
 *   --duration S     BENCH_DURATION        seconds per measured run (5)
 *   --warmup S       BENCH_WARMUP          least seconds of unmeasured load per target before a scenario (2; 0 = none);
 *                                         it goes on, 1 s at a time, until it has sent --warmup-requests and
 *                                         two seconds in a row agree within 10%, or --warmup-max is reached
 *   --warmup-requests N  BENCH_WARMUP_REQUESTS  (4000): the gateway's JIT needs thousands of requests to settle
 *   --warmup-max S   BENCH_WARMUP_MAX      most seconds of warm-up per target (8)
 *   --connections N  BENCH_CONNECTIONS     concurrent connections for throughput runs (10)
 *   --rounds N       BENCH_ROUNDS          rounds per scenario (3)
 *   --sessions N     BENCH_SESSIONS        sessions seeded in the emulator (10000)
 *   --latency L      LATENCY_MS            upstream latency the emulator adds, ms; a list (0,3) runs the suite per value (0)
 *   --rate R         BENCH_RATE            requests/s of scenario 4 (200)
 *   --rate-connections N  BENCH_RATE_CONNECTIONS  connections of scenario 4 (1)
 *   --scenarios L    BENCH_SCENARIOS       which scenarios, e.g. 1,2 (1,2,3,4,5; 6 on request)
 *   --cpu-prof DIR   BENCH_CPU_PROF        run the gateway with `node --cpu-prof` writing into DIR
 *   --gateway-node-args "A B"  BENCH_GATEWAY_NODE_ARGS  extra node flags for the gateway only, e.g.
 *                                         "--max-semi-space-size=64" (recorded in the results)
 *   --baseline REF   BENCH_BASELINE        also run the gateway built from git REF (e.g. main~3, a commit) as one more
 *                                         alternating target of scenarios 1, 2, 4 and 5, reported as "gateway / baseline"
 *                                         (built once per commit into the temp dir; needs the compiled mode)
 *   --tsx            BENCH_GATEWAY=tsx     run gateway and emulator through tsx instead of dist/
 *   --no-build       BENCH_NO_BUILD=1      use dist/ as it is
 *
 * Writes bench/results/latest.json and bench/results/latest.svg (each run replaces the last). With
 * --cpu-prof it prints each scenario's window for `npx tsx bench/profile-top.ts DIR --from-ms A --to-ms B`.
 * The bench reports ratios and judges nothing: docs/performance.md states the targets.
 *
 * This file is the command line only. scenarios/ holds one file per scenario (index.ts runs a suite),
 * lib/ the process control (processes.ts, system.ts), load runs (load.ts), sampling from /proc
 * (sampling.ts) and results (results.ts); report.ts renders the table, the ratios and the chart.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareBaseline } from "./lib/baseline.js";
import { ROOT, stopAll } from "./lib/processes.js";
import type { SuiteResult } from "./lib/results.js";
import type { Settings } from "./lib/settings.js";
import { build } from "./lib/system.js";
import { type BenchResult, printReport, ratios, writeResults } from "./report.js";
import { runSuite } from "./scenarios/index.js";

const HELP = readFileSync(fileURLToPath(import.meta.url), "utf8")
  .split("*/")[0]!
  .replace(/^\/\*\*|^ \* ?/gm, "");

function parseSettings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(a)} (see --help)`);
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (["tsx", "no-build", "help"].includes(a.slice(2))) flags.set(a.slice(2), "1");
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      flags.set(a.slice(2), v);
    }
  }
  if (flags.has("help")) {
    console.log(HELP);
    process.exit(0);
  }
  const known = [
    "duration",
    "warmup",
    "warmup-max",
    "warmup-requests",
    "connections",
    "rounds",
    "sessions",
    "latency",
    "rate",
    "rate-connections",
    "scenarios",
    "cpu-prof",
    "gateway-node-args",
    "baseline",
    "tsx",
    "no-build",
  ];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown flag --${k} (see --help)`);

  const raw = (flag: string, envName: string): string | undefined => {
    const v = flags.get(flag) ?? env[envName];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const num = (flag: string, envName: string, def: number, min: number, max: number): number => {
    const v = raw(flag, envName);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${flag} / ${envName} = ${JSON.stringify(v)} must be a number from ${min} to ${max}`);
    return n;
  };
  const list = (flag: string, envName: string, def: number[], min: number, max: number): number[] => {
    const v = raw(flag, envName);
    if (v === undefined) return def;
    const out = v.split(",").map((x) => Number(x.trim()));
    if (out.some((n) => !Number.isInteger(n) || n < min || n > max)) {
      throw new Error(`--${flag} / ${envName} = ${JSON.stringify(v)} must be whole numbers from ${min} to ${max}, comma-separated`);
    }
    return out;
  };
  const mode = flags.has("tsx") || env.BENCH_GATEWAY === "tsx" ? "tsx" : "dist";
  return {
    durationS: Math.round(num("duration", "BENCH_DURATION", 5, 1, 600)),
    warmupS: Math.round(num("warmup", "BENCH_WARMUP", 2, 0, 60)),
    warmupMaxS: Math.round(num("warmup-max", "BENCH_WARMUP_MAX", 8, 0, 120)),
    warmupRequests: Math.round(num("warmup-requests", "BENCH_WARMUP_REQUESTS", 4000, 0, 1_000_000)),
    connections: Math.round(num("connections", "BENCH_CONNECTIONS", 10, 1, 1000)),
    rounds: Math.round(num("rounds", "BENCH_ROUNDS", 3, 1, 50)),
    sessions: Math.round(num("sessions", "BENCH_SESSIONS", 10_000, 1_000, 1_000_000)),
    latencies: list("latency", "LATENCY_MS", [0], 0, 1000).slice(0, 4),
    rate: Math.round(num("rate", "BENCH_RATE", 200, 1, 100_000)),
    rateConnections: Math.round(num("rate-connections", "BENCH_RATE_CONNECTIONS", 1, 1, 100)),
    scenarios: new Set(list("scenarios", "BENCH_SCENARIOS", [1, 2, 3, 4, 5], 1, 6)),
    cpuProfDir: raw("cpu-prof", "BENCH_CPU_PROF"),
    gatewayNodeArgs: (raw("gateway-node-args", "BENCH_GATEWAY_NODE_ARGS") ?? "").split(/\s+/).filter((a) => a !== ""),
    mode,
    baseline: raw("baseline", "BENCH_BASELINE"),
    build: mode === "dist" && !flags.has("no-build") && env.BENCH_NO_BUILD !== "1",
  };
}

async function main(): Promise<void> {
  const s = parseSettings(process.argv.slice(2), process.env);
  if (s.rounds < 3 && [...s.scenarios].some((n) => n !== 6))
    console.warn(`! ${s.rounds} round(s): medians of fewer than 3 rounds say little`);
  const started = new Date();
  if (s.build) await build();
  else if (s.mode === "dist") console.log("using dist/ as it is (--no-build)");
  if (s.cpuProfDir) mkdirSync(s.cpuProfDir, { recursive: true });
  if (s.baseline && s.mode !== "dist") throw new Error("--baseline compares compiled builds: drop --tsx");
  const baseline = s.baseline ? prepareBaseline(s.baseline) : undefined;

  const suites: SuiteResult[] = [];
  for (const latency of s.latencies) suites.push(await runSuite(s, latency, baseline));

  const cpuModel = cpus()[0]?.model ?? "unknown cpu";
  const settingsLine =
    `${s.sessions} sessions, ${s.rounds} rounds of ${s.durationS} s (warm-up ${s.warmupS}-${s.warmupMaxS} s and >= ${s.warmupRequests} requests per target), ${s.connections} connections; ` +
    `scenario 4 at ${s.rate} req/s over ${s.rateConnections} connection(s); gateway from ${s.mode === "dist" ? "dist/ (compiled)" : "src/ via tsx"}` +
    (s.gatewayNodeArgs.length ? ` with node ${s.gatewayNodeArgs.join(" ")}` : "") +
    (baseline ? `; baseline ${baseline.ref} = ${baseline.commit.slice(0, 8)}` : "");
  const git = (args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8", timeout: 10_000 }).stdout?.trim() ?? "";
  const result: BenchResult = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: `node ${process.version}, ${cpus().length} x ${cpuModel}`,
    // Read-only: which code was measured.
    commit: git(["rev-parse", "--short", "HEAD"]),
    uncommittedChanges: git(["status", "--porcelain", "--", "src"]) !== "",
    settings: { ...s, scenarios: [...s.scenarios] },
    suites,
    ratios: suites.flatMap(ratios),
  };
  writeResults(result, settingsLine);
  printReport(result, settingsLine);
  if (s.cpuProfDir) console.log(`gateway CPU profile(s) in ${resolve(s.cpuProfDir)}`);
}

main().then(
  () => stopAll().then(() => process.exit(0)),
  (err: unknown) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    stopAll().finally(() => process.exit(1));
  },
);
