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
 *   --scenarios L    BENCH_SCENARIOS       which scenarios, e.g. 1,2 (1,2,3,4,5)
 *   --cpu-prof DIR   BENCH_CPU_PROF        run the gateway with `node --cpu-prof` writing into DIR
 *   --gateway-node-args "A B"  BENCH_GATEWAY_NODE_ARGS  extra node flags for the gateway only, e.g.
 *                                         "--max-semi-space-size=64" (recorded in the results)
 *   --tsx            BENCH_GATEWAY=tsx     run gateway and emulator through tsx instead of dist/
 *   --no-build       BENCH_NO_BUILD=1      use dist/ as it is
 *
 * Writes bench/results/latest.json and bench/results/latest.svg (each run replaces the last). With
 * --cpu-prof it prints each scenario's window for `npx tsx bench/profile-top.ts DIR --from-ms A --to-ms B`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { buildSchema, getNamedType, isLeafType, isNonNullType, isObjectType, type GraphQLObjectType } from "graphql";
import { request } from "undici";
import { type Bar, type ChartRow, type Panel, fmt, renderSvg } from "./svg.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";

// ---------------------------------------------------------------------------------------------------
// Settings

interface Settings {
  durationS: number;
  warmupS: number;
  warmupMaxS: number;
  warmupRequests: number;
  connections: number;
  rounds: number;
  sessions: number;
  latencies: number[];
  rate: number;
  rateConnections: number;
  scenarios: Set<number>;
  cpuProfDir: string | undefined;
  gatewayNodeArgs: string[];
  mode: "dist" | "tsx";
  build: boolean;
}

const HELP = readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]!.replace(/^\/\*\*|^ \* ?/gm, "");

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
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${flag} / ${envName} = ${JSON.stringify(v)} must be a number from ${min} to ${max}`);
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
    scenarios: new Set(list("scenarios", "BENCH_SCENARIOS", [1, 2, 3, 4, 5], 1, 5)),
    cpuProfDir: raw("cpu-prof", "BENCH_CPU_PROF"),
    gatewayNodeArgs: (raw("gateway-node-args", "BENCH_GATEWAY_NODE_ARGS") ?? "").split(/\s+/).filter((a) => a !== ""),
    mode,
    build: mode === "dist" && !flags.has("no-build") && env.BENCH_NO_BUILD !== "1",
  };
}

// ---------------------------------------------------------------------------------------------------
// Child processes: every one is tracked, and stopped on the way out whatever the way out is.

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  tail: string[];
  exited: Promise<number | null>;
  alive: boolean;
  onLine: Set<(line: string) => void>;
}

const children = new Set<Child>();
let currentCannon: autocannon.Instance | undefined;
let aborting = false;

function spawnChild(name: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const child: Child = { name, proc, pid: proc.pid, tail: [], alive: true, onLine: new Set(), exited: Promise.resolve(null) };
  child.exited = new Promise((res) => {
    proc.once("exit", (code, signal) => {
      child.alive = false;
      if (!aborting && !stoppingChildren.has(child)) console.error(`! ${name} exited unexpectedly (code ${code}, signal ${signal})\n  ${child.tail.slice(-15).join("\n  ")}`);
      res(code);
    });
  });
  const feed = (stream: NodeJS.ReadableStream | null) => {
    let buf = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        child.tail.push(line);
        if (child.tail.length > 60) child.tail.shift();
        for (const f of child.onLine) f(line);
      }
    });
  };
  feed(proc.stdout);
  feed(proc.stderr);
  children.add(child);
  return child;
}

function waitForLine(child: Child, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  for (const line of child.tail) {
    const m = re.exec(line);
    if (m) return Promise.resolve(m);
  }
  return new Promise((res, rej) => {
    const done = (err: Error | undefined, m?: RegExpMatchArray) => {
      clearTimeout(timer);
      child.onLine.delete(onLine);
      if (err) rej(err);
      else res(m!);
    };
    const onLine = (line: string) => {
      const m = re.exec(line);
      if (m) done(undefined, m);
    };
    const timer = setTimeout(() => done(new Error(`${child.name} did not print ${re} within ${timeoutMs} ms:\n  ${child.tail.join("\n  ")}`)), timeoutMs);
    child.onLine.add(onLine);
    void child.exited.then(() => done(new Error(`${child.name} exited before printing ${re}:\n  ${child.tail.join("\n  ")}`)));
  });
}

const stoppingChildren = new Set<Child>();

async function stopChild(child: Child): Promise<void> {
  stoppingChildren.add(child);
  if (child.alive) {
    child.proc.kill("SIGTERM");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000).unref());
    if ((await Promise.race([child.exited, timeout])) === "timeout" && child.alive) {
      console.error(`! ${child.name} did not stop within 10 s of SIGTERM; killing it`);
      child.proc.kill("SIGKILL");
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
  }
  children.delete(child);
}

async function stopAll(): Promise<void> {
  currentCannon?.stop();
  // Reverse start order: the gateway and proxy before the controller they call.
  for (const c of [...children].reverse()) await stopChild(c);
}

function assertAlive(): void {
  for (const c of children) if (!c.alive) throw new Error(`${c.name} died during the run:\n  ${c.tail.slice(-20).join("\n  ")}`);
}

process.on("exit", () => {
  for (const c of children) if (c.alive) c.proc.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (aborting) return;
    aborting = true;
    console.error(`\n${sig}: stopping everything the benchmark started`);
    stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

function loopbackOnly(url: string): string {
  if (new URL(url).hostname !== HOST) throw new Error(`refusing to talk to ${url}: the benchmark only talks to ${HOST}`);
  return url;
}

async function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await request(loopbackOnly(url), { method: "GET", headers, headersTimeout: 60_000, bodyTimeout: 60_000 });
  return { status: res.statusCode, text: await res.body.text() };
}

async function httpSend(t: RequestSpec): Promise<{ status: number; text: string }> {
  const res = await request(loopbackOnly(t.url), { method: t.method, headers: t.headers, body: t.body, headersTimeout: 120_000, bodyTimeout: 120_000 });
  return { status: res.statusCode, text: await res.body.text() };
}

async function waitHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.alive) throw new Error(`${child.name} exited while starting:\n  ${child.tail.join("\n  ")}`);
    try {
      if ((await httpGet(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not healthy at ${url} within ${timeoutMs} ms:\n  ${child.tail.join("\n  ")}`);
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Nearest-rank percentile of sorted values. */
const pct = (sorted: number[], p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** User+system CPU time of a process, in ms (from /proc; NaN where there is no /proc). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memory(pid: number): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMiB: kb("VmRSS") / 1024, peakMiB: kb("VmHWM") / 1024 };
  } catch {
    return { rssMiB: NaN, peakMiB: NaN };
  }
}

/** Reset a process's VmHWM to its current RSS (Linux >= 4.0); false where not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU time the whole machine spent busy (user, nice, system, irq, softirq) and stolen by the hypervisor, in ms. */
function machineMs(): { busy: number; steal: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 1000) / CLK_TCK, steal: ((f[7] ?? 0) * 1000) / CLK_TCK };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}

/** CPU time of this process and every process it started, in ms. */
function oursMs(): number {
  const self = process.cpuUsage();
  let ms = (self.user + self.system) / 1000;
  for (const c of children) if (c.alive) ms += cpuMs(c.pid);
  return ms;
}

/**
 * Measures, between start and stop, the share of the machine's CPU that processes other than ours used,
 * and the share the hypervisor stole (a virtual machine's neighbours), both as % of all cores.
 */
function othersMeter(): () => { othersPct: number; stealPct: number } {
  const m0 = machineMs();
  const ours0 = oursMs();
  const t0 = performance.now();
  return () => {
    const all = (performance.now() - t0) * cpus().length;
    const m1 = machineMs();
    const others = m1.busy - m0.busy - (oursMs() - ours0);
    return { othersPct: Math.max(0, (100 * others) / all), stealPct: Math.max(0, (100 * (m1.steal - m0.steal)) / all) };
  };
}

const loadavg = (): string => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "";
  }
};

// ---------------------------------------------------------------------------------------------------
// The system under test

interface System {
  latencyMs: number;
  /** performance.now() when the gateway was spawned: CPU profiles count from about then. */
  gatewaySpawnedAt: number;
  /** Measured rounds (warm-ups and checks excluded), in ms since gatewaySpawnedAt. */
  measured: { fromMs: number; toMs: number } | undefined;
  emulator: Child;
  gateway: Child;
  proxy: Child;
  emulatorUrl: string;
  gatewayUrl: string;
  proxyUrl: string;
  statsUrl: string;
  token: string;
}

async function build(): Promise<void> {
  console.log("building: npm run build (tsc -p tsconfig.build.json) ...");
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "-s", "build"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
  if (r.status !== 0) {
    throw new Error(`npm run build failed (status ${r.status}); fix it, or run the gateway through tsx with --tsx:\n${r.stdout}${r.stderr}`);
  }
}

async function startSystem(s: Settings, latencyMs: number): Promise<System> {
  const viaTsx = (file: string) => ["--import", "tsx", file];
  const emulator = spawnChild("emulator", s.mode === "dist" ? ["dist/emulator/main.js"] : viaTsx("src/emulator/main.ts"), {
    PORT: "0",
    HOST,
    SEED: "1",
    SESSIONS: String(s.sessions),
    LATENCY_MS: String(latencyMs),
    CALL_STATS: "1",
  });
  const emulatorUrl = loopbackOnly((await waitForLine(emulator, /listening on (http:\/\/\S+)/, 120_000))[1]!);
  const statsUrl = loopbackOnly((await waitForLine(emulator, /^Call stats on (http:\/\/\S+)/, 10_000))[1]!);
  await waitForLine(emulator, /^at_\w+$/, 10_000);
  // The first token printed is the admin's (see src/emulator/main.ts).
  const admin = emulator.tail.findIndex((l) => l.startsWith("# admin"));
  const token = emulator.tail[admin + 1];
  if (admin < 0 || !token?.startsWith("at_")) throw new Error(`no admin token in the emulator's output:\n  ${emulator.tail.join("\n  ")}`);

  const gatewayPort = await freePort();
  const gatewaySpawnedAt = performance.now();
  const profArgs = [...s.gatewayNodeArgs, ...(s.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(s.cpuProfDir)}`] : [])];
  const gateway = spawnChild("gateway", [...profArgs, ...(s.mode === "dist" ? ["dist/main.js"] : viaTsx("src/main.ts"))], {
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    HOST,
    PORT: String(gatewayPort),
    BOUNDARY_ADDR: emulatorUrl,
    // The whole listing of scenario 3 must fit (and end COMPLETE).
    MAX_LIST_ITEMS: String(Math.min(1_000_000, Math.max(10_000, s.sessions + 1_000))),
  });
  const gatewayUrl = `http://${HOST}:${gatewayPort}`;

  const proxyPort = await freePort();
  const proxy = spawnChild("proxy", viaTsx("bench/proxy.ts"), { HOST, PORT: String(proxyPort), BOUNDARY_ADDR: emulatorUrl });
  const proxyUrl = `http://${HOST}:${proxyPort}`;

  await waitHealthy(gateway, `${gatewayUrl}/healthz`, 60_000);
  await waitHealthy(proxy, `${proxyUrl}/healthz`, 60_000);
  return { latencyMs, gatewaySpawnedAt, measured: undefined, emulator, gateway, proxy, emulatorUrl, gatewayUrl, proxyUrl, statsUrl, token };
}

async function stopSystem(sys: System): Promise<void> {
  for (const c of [sys.proxy, sys.gateway, sys.emulator]) await stopChild(c);
}

/**
 * Waits until the controller has seen no call for 150 ms (at most 10 s): when autocannon stops, the
 * gateway still finishes the requests it had accepted, and their calls must not count for the next run.
 */
async function quiesce(sys: System): Promise<void> {
  await takeCalls(sys);
  for (let i = 0; i < 66; i++) {
    await sleep(150);
    if ((await takeCalls(sys)).total === 0) return;
  }
  console.warn("! the controller kept receiving calls for 10 s after a run");
}

/** Upstream calls by route since the last reset, and reset. */
async function takeCalls(sys: System): Promise<{ total: number; byRoute: Record<string, number> }> {
  const r = await httpGet(`${sys.statsUrl}?reset=1`);
  if (r.status !== 200) throw new Error(`emulator stats answered ${r.status}`);
  return JSON.parse(r.text) as { total: number; byRoute: Record<string, number> };
}

// ---------------------------------------------------------------------------------------------------
// Targets and runs

interface RequestSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** When set, the load cycles through these (each replaces the path or the body of the request
   * above), so no cache keyed on the value read can answer every request. */
  variants?: { path?: string; body?: string }[];
}

interface Target {
  name: string;
  /** The process whose CPU the target costs. */
  pid: number;
  req: RequestSpec;
  /** A problem with one answer, or undefined when it is right. */
  check(status: number, text: string): string | undefined;
}

/** How many different sessions scenarios 1 and 4 read, one after another. */
const READ_IDS = 500;

const SESSION_FIELDS = `id targetId scopeId createdTime updatedTime version type expirationTime authTokenId userId hostSetId hostId
  endpoint status certificate terminationReason authorizedActions states { status startTime endTime }`;

function graphql(sys: System, query: string, variables: Record<string, unknown> = {}): RequestSpec {
  return {
    url: `${sys.gatewayUrl}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${sys.token}` },
    body: JSON.stringify({ query, variables }),
  };
}

function get(url: string, sys: System): RequestSpec {
  return { url, method: "GET", headers: { authorization: `Bearer ${sys.token}` } };
}

function jsonCheck(f: (v: any) => string | undefined): Target["check"] {
  return (status, text) => {
    if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return `not JSON: ${text.slice(0, 200)}`;
    }
    const errors = (v as { errors?: unknown[] }).errors;
    if (errors?.length) return `GraphQL errors: ${JSON.stringify(errors).slice(0, 300)}`;
    return f(v);
  };
}

interface LoadRun {
  rps: number;
  ok: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  durationS: number;
  cpuUsPerOp: number;
  emulatorCpuUsPerOp: number;
  callsPerOp: number;
  /** CPU other processes on the machine used during the run, % of all cores. */
  othersPct: number;
  /** CPU the hypervisor stole during the run, % of all cores. */
  stealPct: number;
}

function cannon(req: RequestSpec, opts: { connections: number; durationS: number; overallRate?: number }): Promise<{ result: autocannon.Result; latencies: number[] }> {
  return new Promise((res, rej) => {
    if (aborting) return rej(new Error("aborted"));
    const latencies: number[] = [];
    const inst = autocannon(
      {
        url: loopbackOnly(req.url),
        method: req.method,
        headers: req.headers,
        body: req.body,
        connections: opts.connections,
        duration: opts.durationS,
        timeout: 10,
        ...(opts.overallRate ? { overallRate: opts.overallRate, ignoreCoordinatedOmission: true } : {}),
        ...(req.variants?.length ? { requests: [{ setupRequest: rotate(req.variants) }] } : {}),
      },
      (err, result) => {
        currentCannon = undefined;
        if (err) rej(err);
        else res({ result, latencies });
      },
    );
    currentCannon = inst;
    // autocannon's own histogram keeps whole milliseconds; these are the exact per-response times.
    inst.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** Each call hands the next variant, over all connections, round and round. */
function rotate(variants: NonNullable<RequestSpec["variants"]>): (req: autocannon.RequestParts) => autocannon.RequestParts {
  let next = 0;
  return (req) => ({ ...req, ...variants[next++ % variants.length] });
}

/**
 * Unmeasured load in 1 s slices: at least `warmupS` of them and `warmupRequests` requests, then until a
 * slice's throughput is within 10% of the one before; at most `warmupMaxS` slices.
 */
async function warmUp(
  t: Target,
  s: Settings,
  opts: { connections: number; overallRate?: number },
): Promise<{ seconds: number; requests: number; rps: number; settled: boolean }> {
  let prev = NaN;
  let rps = NaN;
  let requests = 0;
  const max = Math.max(s.warmupS, s.warmupMaxS);
  for (let i = 1; i <= max; i++) {
    const { result, latencies } = await cannon(t.req, { connections: opts.connections, durationS: 1, overallRate: opts.overallRate });
    assertAlive();
    requests += latencies.length;
    rps = latencies.length / result.duration;
    if (i >= s.warmupS && requests >= s.warmupRequests && Math.abs(rps - prev) <= 0.1 * prev) return { seconds: i, requests, rps, settled: true };
    prev = rps;
  }
  return { seconds: max, requests, rps, settled: false };
}

async function loadRun(sys: System, t: Target, opts: { connections: number; durationS: number; overallRate?: number }): Promise<LoadRun> {
  await quiesce(sys);
  const cpu0 = cpuMs(t.pid);
  const emu0 = cpuMs(sys.emulator.pid);
  const others = othersMeter();
  const { result, latencies } = await cannon(t.req, opts);
  const { othersPct, stealPct } = others();
  const cpu1 = cpuMs(t.pid);
  const emu1 = cpuMs(sys.emulator.pid);
  const calls = await takeCalls(sys);
  assertAlive();
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  const per = (ms: number) => (ok > 0 ? (ms * 1000) / ok : NaN);
  return {
    rps: ok / result.duration,
    ok,
    errors: result.errors + result.timeouts + result.non2xx,
    p50: pct(latencies, 50),
    p90: pct(latencies, 90),
    p99: pct(latencies, 99),
    max: latencies[ok - 1] ?? NaN,
    durationS: result.duration,
    cpuUsPerOp: t.pid === sys.emulator.pid ? per(emu1 - emu0) : per(cpu1 - cpu0),
    emulatorCpuUsPerOp: per(emu1 - emu0),
    callsPerOp: ok > 0 ? calls.total / ok : NaN,
    othersPct,
    stealPct,
  };
}

/** `n` sequential requests, every answer checked; the upstream calls they made, per request. */
async function probe(sys: System, t: Target, n: number): Promise<CallsPerOp> {
  await quiesce(sys);
  for (let i = 0; i < n; i++) {
    const r = await httpSend(t.req);
    const problem = t.check(r.status, r.text);
    if (problem) throw new Error(`${t.name}: wrong answer from ${t.req.method} ${t.req.url}: ${problem}`);
  }
  const calls = await takeCalls(sys);
  const byRoute: Record<string, number> = {};
  for (const [k, v] of Object.entries(calls.byRoute)) byRoute[k] = v / n;
  return { total: calls.total / n, byRoute };
}

interface CallsPerOp {
  total: number;
  byRoute: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------
// Results

interface TargetResult {
  name: string;
  /** Metrics of each round, in round order. */
  rounds: Record<string, number>[];
  median: Record<string, number>;
  min: Record<string, number>;
  max: Record<string, number>;
  calls?: CallsPerOp;
}

interface Comparison {
  label: string;
  unit: "x" | "ms";
  perRound: number[];
  median: number;
}

interface ScenarioResult {
  id: number;
  title: string;
  /** The metric the scenario is about: rps, wallMs or p99. */
  primary: string;
  targets: TargetResult[];
  comparisons: Comparison[];
  notes: string[];
  extra: Record<string, number | string | boolean>;
}

interface SuiteResult {
  latencyMs: number;
  /** /proc/loadavg (1, 5, 15 min) when the suite started and ended. */
  loadavgBefore: string;
  loadavgAfter: string;
  /** Measured rounds of the throughput scenarios, ms after the gateway started (for --cpu-prof). */
  gatewayProfileWindowMs: { fromMs: number; toMs: number } | undefined;
  scenarios: ScenarioResult[];
  skipped: string[];
}

function summarise(name: string, rounds: Record<string, number>[], calls?: CallsPerOp): TargetResult {
  const keys = Object.keys(rounds[0] ?? {});
  const agg = (f: (xs: number[]) => number) => Object.fromEntries(keys.map((k) => [k, f(rounds.map((r) => r[k]!))]));
  return { name, rounds, median: agg(median), min: agg((xs) => Math.min(...xs)), max: agg((xs) => Math.max(...xs)), calls };
}

function compare(label: string, unit: Comparison["unit"], a: Record<string, number>[], b: Record<string, number>[], key: string): Comparison {
  const perRound = a.map((r, i) => (unit === "x" ? r[key]! / b[i]![key]! : r[key]! - b[i]![key]!));
  return { label, unit, perRound, median: median(perRound) };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

async function throughputScenario(
  sys: System,
  s: Settings,
  id: number,
  title: string,
  targets: Target[],
  opts: { connections: number; overallRate?: number; warm: boolean },
): Promise<{ results: TargetResult[]; rounds: Record<string, number>[][] }> {
  console.log(`\n[${sys.latencyMs} ms] scenario ${id}: ${title}`);
  const calls = new Map<string, CallsPerOp>();
  for (const t of targets) calls.set(t.name, await probe(sys, t, 20));
  if (opts.warm && s.warmupS > 0) {
    for (const t of targets) {
      const w = await warmUp(t, s, { connections: opts.connections, overallRate: opts.overallRate });
      console.log(`  warm-up  ${t.name.padEnd(8)} ${w.seconds} s, ${w.requests} requests, last second ${fmt(w.rps)} req/s${w.settled ? "" : " (stopped at --warmup-max)"}`);
    }
  }
  const rounds: Record<string, number>[][] = targets.map(() => []);
  const from = performance.now() - sys.gatewaySpawnedAt;
  for (let r = 0; r < s.rounds; r++) {
    for (const [i, t] of targets.entries()) {
      const run = await loadRun(sys, t, { connections: opts.connections, durationS: s.durationS, overallRate: opts.overallRate });
      rounds[i]!.push({ ...run });
      console.log(
        `  round ${r + 1}/${s.rounds} ${t.name.padEnd(8)} ${fmt(run.rps).padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms` +
          `  cpu ${fmt(run.cpuUsPerOp)} us/op  calls/op ${run.callsPerOp.toFixed(2)}  others ${run.othersPct.toFixed(0)}% steal ${run.stealPct.toFixed(0)}%${run.errors ? `  ERRORS ${run.errors}` : ""}`,
      );
    }
  }
  const to = performance.now() - sys.gatewaySpawnedAt;
  sys.measured = { fromMs: Math.min(from, sys.measured?.fromMs ?? from), toMs: to };
  if (s.cpuProfDir) console.log(`  gateway profile window of scenario ${id}: --from-ms ${from.toFixed(0)} --to-ms ${to.toFixed(0)}`);
  return { results: targets.map((t, i) => summarise(t.name, rounds[i]!, calls.get(t.name))), rounds };
}

async function scenario1(sys: System, s: Settings, sessionIds: readonly string[]): Promise<ScenarioResult> {
  const targets = session1Targets(sys, sessionIds);
  const { results, rounds } = await throughputScenario(sys, s, 1, "session(id), every scalar field and states", targets, { connections: s.connections, warm: true });
  return {
    id: 1,
    title: "session(id)",
    primary: "rps",
    targets: results,
    comparisons: [compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps"), compare("gateway / direct", "x", rounds[0]!, rounds[2]!, "rps")],
    notes: [`${s.connections} connections, ${s.durationS} s per run`],
    extra: {},
  };
}

/** Reads of one session after another (the ids cycle), as a console paging through sessions makes. */
function session1Targets(sys: System, sessionIds: readonly string[]): Target[] {
  const sessionId = sessionIds[0]!;
  const hasId = (v: { id?: string } | null | undefined) => (v?.id === sessionId ? undefined : `expected session ${sessionId}, got ${JSON.stringify(v).slice(0, 200)}`);
  const query = `query S($id: ID!) { session(id: $id) { ${SESSION_FIELDS} } }`;
  const gateway = graphql(sys, query, { id: sessionId });
  gateway.variants = sessionIds.map((id) => ({ body: JSON.stringify({ query, variables: { id } }) }));
  const proxy = get(`${sys.proxyUrl}/session/${sessionId}`, sys);
  proxy.variants = sessionIds.map((id) => ({ path: `/session/${id}` }));
  const direct = get(`${sys.emulatorUrl}/v1/sessions/${sessionId}`, sys);
  direct.variants = sessionIds.map((id) => ({ path: `/v1/sessions/${id}` }));
  return [
    { name: "gateway", pid: sys.gateway.pid, req: gateway, check: jsonCheck((v) => hasId(v.data?.session) ?? (v.data.session.states?.length ? undefined : "no states")) },
    { name: "proxy", pid: sys.proxy.pid, req: proxy, check: jsonCheck((v) => hasId(v)) },
    { name: "direct", pid: sys.emulator.pid, req: direct, check: jsonCheck((v) => hasId(v)) },
  ];
}

async function scenario2(sys: System, s: Settings): Promise<ScenarioResult> {
  const pageOk = (items: { scope?: { name?: string; parent?: { name?: string } | null } }[] | undefined) =>
    items?.length !== 100
      ? `expected 100 items, got ${items?.length}`
      : items.every((i) => typeof i.scope?.name === "string" && typeof i.scope.parent?.name === "string")
        ? undefined
        : "an item lacks scope.name or scope.parent.name";
  const targets: Target[] = [
    {
      name: "gateway",
      pid: sys.gateway.pid,
      req: graphql(sys, `{ sessions(first: 100) { items { ${SESSION_FIELDS} scope { name parent { name } } } hasNextPage listToken } }`),
      check: jsonCheck((v) => pageOk(v.data?.sessions?.items)),
    },
    { name: "proxy", pid: sys.proxy.pid, req: get(`${sys.proxyUrl}/sessions?first=100`, sys), check: jsonCheck((v) => pageOk(v.items)) },
  ];
  const { results, rounds } = await throughputScenario(sys, s, 2, "sessions(first: 100) with scope { name parent { name } }", targets, { connections: s.connections, warm: true });
  return {
    id: 2,
    title: "sessions(first: 100) + scopes",
    primary: "rps",
    targets: results,
    comparisons: [compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps")],
    notes: [`every session field and states, plus scope { name parent { name } }; ${s.connections} connections, ${s.durationS} s per run`],
    extra: {},
  };
}

/** Unmeasured listings of scenario 3, per target, before its rounds. */
const SCENARIO3_WARMUP = 3;

async function scenario3(sys: System, s: Settings): Promise<ScenarioResult> {
  console.log(`\n[${sys.latencyMs} ms] scenario 3: the whole listing of ${s.sessions} sessions`);
  const maxPages = Math.ceil(s.sessions / 1000) + 5;
  const gatewayReq = graphql(sys, `{ sessions(includeTerminated: true) { items { ${SESSION_FIELDS} } hasNextPage responseType } }`);
  const listUrl = (token: string | undefined) => {
    const q = new URLSearchParams({ scope_id: "global", recursive: "true", include_terminated: "true", page_size: "1000" });
    if (token) q.set("list_token", token);
    return `${sys.emulatorUrl}/v1/sessions?${q}`;
  };

  const viaGateway = async (check: boolean): Promise<{ ms: number; bytes: number }> => {
    const t0 = performance.now();
    const r = await httpSend(gatewayReq);
    const ms = performance.now() - t0;
    if (r.status !== 200) throw new Error(`gateway listing: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    if (check) {
      const problem = jsonCheck((v) => {
        const n = v.data?.sessions?.items?.length;
        return n === s.sessions && v.data.sessions.hasNextPage === false ? undefined : `expected ${s.sessions} items and the end of the listing, got ${n}`;
      })(r.status, r.text);
      if (problem) throw new Error(`gateway listing: ${problem}`);
    }
    return { ms, bytes: Buffer.byteLength(r.text) };
  };
  const walk = async (check: boolean): Promise<{ ms: number; bytes: number; pages: number }> => {
    const t0 = performance.now();
    let token: string | undefined;
    let bytes = 0;
    let items = 0;
    for (let page = 1; page <= maxPages; page++) {
      const r = await httpGet(listUrl(token), { authorization: `Bearer ${sys.token}` });
      if (r.status !== 200) throw new Error(`direct walk: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
      bytes += r.text.length;
      // The envelope's tail holds the token; a client needs no more of it to go on.
      const tail = r.text.slice(-2048);
      token = /"list_token":"([^"]+)"/.exec(tail)?.[1];
      if (check) items += (JSON.parse(r.text) as { items?: unknown[] }).items?.length ?? 0;
      if (!/"response_type":"delta"/.test(tail) || token === undefined) {
        if (check && items !== s.sessions) throw new Error(`direct walk: expected ${s.sessions} items, got ${items}`);
        return { ms: performance.now() - t0, bytes, pages: page };
      }
    }
    throw new Error(`direct walk: no end after ${maxPages} pages`);
  };

  // Checked once, counting the calls each makes, then measured alternately.
  await quiesce(sys);
  await viaGateway(true);
  const gatewayCalls = await takeCalls(sys);
  const firstWalk = await walk(true);
  const directCalls = await takeCalls(sys);
  // Warmed like the throughput scenarios: a few unmeasured listings each, so the rounds measure
  // compiled code rather than the JIT's first passes over the listing path.
  for (let w = 0; w < SCENARIO3_WARMUP; w++) {
    await viaGateway(false);
    await walk(false);
  }
  await takeCalls(sys);
  const before = memory(sys.gateway.pid);
  const peakReset = resetPeak(sys.gateway.pid);
  const gw: Record<string, number>[] = [];
  const direct: Record<string, number>[] = [];
  for (let r = 0; r < s.rounds; r++) {
    const cpu0 = cpuMs(sys.gateway.pid);
    const othersG = othersMeter();
    const g = await viaGateway(false);
    const gOthers = othersG().othersPct;
    const cpu1 = cpuMs(sys.gateway.pid);
    gw.push({ wallMs: g.ms, bytes: g.bytes, cpuMs: cpu1 - cpu0, rssMiB: memory(sys.gateway.pid).rssMiB, othersPct: gOthers });
    const e0 = cpuMs(sys.emulator.pid);
    const othersD = othersMeter();
    const d = await walk(false);
    direct.push({ wallMs: d.ms, bytes: d.bytes, cpuMs: cpuMs(sys.emulator.pid) - e0, pages: d.pages, othersPct: othersD().othersPct });
    console.log(
      `  round ${r + 1}/${s.rounds} gateway ${g.ms.toFixed(0)} ms (${(g.bytes / 2 ** 20).toFixed(1)} MiB, others ${gOthers.toFixed(0)}%)` +
        `   direct walk ${d.ms.toFixed(0)} ms (${d.pages} pages, ${(d.bytes / 2 ** 20).toFixed(1)} MiB, others ${direct[r]!.othersPct!.toFixed(0)}%)`,
    );
    assertAlive();
  }
  const after = memory(sys.gateway.pid);
  return {
    id: 3,
    title: `whole listing (${s.sessions})`,
    primary: "wallMs",
    targets: [summarise("gateway", gw, gatewayCalls), summarise("direct", direct, directCalls)],
    comparisons: [compare("gateway / direct", "x", gw, direct, "wallMs")],
    notes: [`includeTerminated: true so the listing holds all ${s.sessions}; every session field and states; one request at a time`, `direct walk: ${firstWalk.pages} pages`, `${SCENARIO3_WARMUP} unmeasured listings per target first`],
    extra: {
      gatewayRssBeforeMiB: before.rssMiB,
      gatewayPeakBeforeMiB: before.peakMiB,
      gatewayPeakMiB: after.peakMiB,
      gatewayRssAfterMiB: after.rssMiB,
      peakResetBeforeScenario: peakReset,
    },
  };
}

async function scenario4(sys: System, s: Settings, sessionIds: readonly string[], warm: boolean): Promise<ScenarioResult> {
  const targets = session1Targets(sys, sessionIds);
  const { results, rounds } = await throughputScenario(sys, s, 4, `added latency of session(id) at ${s.rate} req/s`, targets, {
    connections: s.rateConnections,
    overallRate: s.rate,
    warm,
  });
  return {
    id: 4,
    title: `added latency @${s.rate} req/s`,
    primary: "p99",
    targets: results,
    comparisons: [
      compare("gateway - direct, p50", "ms", rounds[0]!, rounds[2]!, "p50"),
      compare("gateway - direct, p99", "ms", rounds[0]!, rounds[2]!, "p99"),
      compare("proxy - direct, p50", "ms", rounds[1]!, rounds[2]!, "p50"),
      compare("proxy - direct, p99", "ms", rounds[1]!, rounds[2]!, "p99"),
    ],
    notes: [
      `autocannon overallRate ${s.rate} with ${s.rateConnections} connection(s): each connection sends its share of a second back to back, then waits for the next second`,
      "latencies are exact per-response times (autocannon's own histogram keeps whole ms)",
    ],
    extra: {},
  };
}

/** Session's fields leading to other resources, each with a selection of that resource's leaf fields
 * (from schema.graphql, which a test keeps equal to the code's schema). Empty when there are none. */
function neighbourSelections(): { field: string; idField: string; selection: string }[] {
  const idFields: Record<string, string> = { target: "targetId", user: "userId", host: "hostId", hostSet: "hostSetId", authToken: "authTokenId" };
  const schema = buildSchema(readFileSync(join(ROOT, "schema.graphql"), "utf8"));
  const session = schema.getType("Session");
  if (!isObjectType(session)) return [];
  const out: { field: string; idField: string; selection: string }[] = [];
  for (const f of Object.values(session.getFields())) {
    const type = getNamedType(f.type);
    if (!(f.name in idFields) || !isObjectType(type)) continue;
    const leaves = Object.values((type as GraphQLObjectType).getFields())
      .filter((g) => isLeafType(getNamedType(g.type)) && g.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
      .map((g) => g.name);
    out.push({ field: f.name, idField: idFields[f.name]!, selection: `${f.name} { ${leaves.join(" ")} }` });
  }
  return out;
}

async function scenario5(sys: System, s: Settings, neighbours: ReturnType<typeof neighbourSelections>): Promise<ScenarioResult> {
  type Item = Record<string, unknown> & Record<string, { id?: string } | null | undefined>;
  const pageOk = (items: Item[] | undefined) => {
    if (items?.length !== 100) return `expected 100 items, got ${items?.length}`;
    for (const item of items) {
      for (const n of neighbours) {
        const id = item[n.idField] as unknown as string | null | undefined;
        if (id && item[n.field]?.id !== id) return `item ${String(item.id)}: ${n.field} ${JSON.stringify(item[n.field])?.slice(0, 120)} is not ${id}`;
      }
    }
    return undefined;
  };
  const ids = neighbours.map((n) => n.idField).join(" ");
  const targets: Target[] = [
    {
      name: "gateway",
      pid: sys.gateway.pid,
      req: graphql(sys, `{ sessions(first: 100) { items { id ${ids} ${neighbours.map((n) => n.selection).join(" ")} } hasNextPage listToken } }`),
      check: jsonCheck((v) => pageOk(v.data?.sessions?.items)),
    },
    { name: "proxy", pid: sys.proxy.pid, req: get(`${sys.proxyUrl}/sessions?first=100&neighbours=1`, sys), check: jsonCheck((v) => pageOk(v.items)) },
  ];
  const { results, rounds } = await throughputScenario(sys, s, 5, `sessions(first: 100) with ${neighbours.map((n) => n.field).join(", ")}`, targets, {
    connections: s.connections,
    warm: true,
  });
  return {
    id: 5,
    title: "sessions(first: 100) + neighbours",
    primary: "rps",
    targets: results,
    comparisons: [compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps")],
    notes: [`${neighbours.map((n) => n.field).join(", ")}: every scalar field of each; ${s.connections} connections, ${s.durationS} s per run`],
    extra: {},
  };
}

// ---------------------------------------------------------------------------------------------------
// Report

function callsText(c: CallsPerOp | undefined): string {
  if (!c) return "";
  // "GET /v1/sessions" -> list, "GET /v1/host-sets/{id}" -> host-set
  const short = (route: string) => (route === "GET /v1/sessions" ? "list" : route.replace(/^GET \/v1\/([^/]+?)s?\/\{id\}$/, "$1"));
  const parts = Object.entries(c.byRoute).map(([k, v]) => `${+v.toFixed(2)} ${short(k)}`);
  return `${+c.total.toFixed(2)}${parts.length > 1 ? ` (${parts.join(" + ")})` : parts.length ? ` ${parts[0]!.replace(/^[\d.]+ /, "")}` : ""}`;
}

/** One bar of the issue, judged on one suite (one upstream latency). */
interface IssueBar {
  latencyMs: number;
  bar: string;
  /** What was measured, as printed. */
  measured: string;
  pass: boolean;
}

/** Every bar of the issue that this suite measured (scenarios not run are left out). */
function bars(suite: SuiteResult): IssueBar[] {
  const out: IssueBar[] = [];
  const add = (bar: string, measured: string, pass: boolean) => out.push({ latencyMs: suite.latencyMs, bar, measured, pass });
  const sc = (id: number) => suite.scenarios.find((x) => x.id === id);
  const cmp = (id: number, label: string) => sc(id)?.comparisons.find((c) => c.label === label)?.median;
  const s1 = cmp(1, "gateway / proxy");
  if (s1 !== undefined) add("scenario 1 gateway throughput >= 0.5 x proxy", `${s1.toFixed(2)}x`, s1 >= 0.5);
  const s2 = sc(2);
  if (s2) {
    const gw = s2.targets.find((t) => t.name === "gateway")?.calls;
    const proxy = s2.targets.find((t) => t.name === "proxy")?.calls;
    // The proxy reads each distinct scope once by construction, so its scope reads are the count to match.
    const list = gw?.byRoute["GET /v1/sessions"] ?? 0;
    const scopes = gw?.byRoute["GET /v1/scopes/{id}"] ?? 0;
    const distinct = proxy?.byRoute["GET /v1/scopes/{id}"] ?? NaN;
    const others = (gw?.total ?? 0) - list - scopes;
    add(
      "scenario 2 calls per operation: 1 list + 1 read per distinct scope",
      `${+list.toFixed(2)} list + ${+scopes.toFixed(2)} scope reads (${distinct} distinct scopes)${others ? ` + ${+others.toFixed(2)} other` : ""}`,
      list === 1 && scopes === distinct && others === 0,
    );
    const r = cmp(2, "gateway / proxy");
    if (r !== undefined) add("scenario 2 gateway throughput >= 0.5 x proxy", `${r.toFixed(2)}x`, r >= 0.5);
  }
  const s3 = sc(3);
  if (s3) {
    const r = cmp(3, "gateway / direct");
    if (r !== undefined) add("scenario 3 wall time <= 1.5 x the direct walk", `${r.toFixed(2)}x`, r <= 1.5);
    const peak = Number(s3.extra.gatewayPeakMiB);
    // The bar is in MB (10^6 bytes); /proc reports KiB.
    const peakMB = (peak * 2 ** 20) / 1e6;
    add("scenario 3 gateway peak RSS <= 300 MB", `${peakMB.toFixed(0)} MB`, peakMB <= 300);
  }
  const s4 = cmp(4, "gateway - direct, p99");
  if (s4 !== undefined) add("scenario 4 p99 added latency <= 2 ms at the low rate", `${s4 >= 0 ? "+" : ""}${s4.toFixed(2)} ms`, s4 <= 2);
  return out;
}

function table(suites: SuiteResult[]): string {
  const head = ["lat", "scenario", "target", "median", "range (rounds)", "p50 ms", "p99 ms", "compared (median of rounds)", "upstream calls/op", "cpu us/op", "emu cpu us/op", "others %", "steal %"];
  const rows: string[][] = [];
  for (const suite of suites) {
    for (const sc of suite.scenarios) {
      sc.targets.forEach((t, i) => {
        const m = t.median;
        const main = sc.primary === "wallMs" ? `${fmt(m.wallMs!)} ms` : `${fmt(m.rps!)} req/s`;
        const key = sc.primary === "wallMs" ? "wallMs" : "rps";
        const range = `${fmt(t.min[key]!)}-${fmt(t.max[key]!)}`;
        const cmp = i === 0 ? sc.comparisons.map((c) => `${c.label} ${c.unit === "x" ? `${c.median.toFixed(2)}x` : `${c.median >= 0 ? "+" : ""}${c.median.toFixed(2)} ms`}`).join("; ") : "";
        const cpu = sc.primary === "wallMs" ? (i === 0 ? `${fmt(m.cpuMs!)} ms/listing` : "") : fmt(m.cpuUsPerOp!);
        const emu = sc.primary === "wallMs" ? (i === 1 ? `${fmt(m.cpuMs!)} ms/listing` : "") : fmt(m.emulatorCpuUsPerOp!);
        rows.push([
          i === 0 ? `${suite.latencyMs} ms` : "",
          i === 0 ? `${sc.id} ${sc.title}` : "",
          t.name,
          main,
          range,
          m.p50 === undefined ? "" : m.p50.toFixed(2),
          m.p99 === undefined ? "" : m.p99.toFixed(2),
          cmp,
          callsText(t.calls),
          cpu,
          emu,
          `${m.othersPct!.toFixed(0)} (max ${t.max.othersPct!.toFixed(0)})`,
          m.stealPct === undefined ? "" : `${m.stealPct.toFixed(0)} (max ${t.max.stealPct!.toFixed(0)})`,
        ]);
      });
      if (sc.id === 3) {
        const e = sc.extra;
        rows.push(["", "", "", `gateway peak RSS ${fmt(e.gatewayPeakMiB as number)} MiB`, "", "", "", `RSS before ${fmt(e.gatewayRssBeforeMiB as number)} MiB${e.peakResetBeforeScenario ? " (peak reset before scenario)" : " (peak since start)"}`, "", "", "", "", ""]);
      }
    }
    for (const sk of suite.skipped) rows.push([`${suite.latencyMs} ms`, sk, "", "", "", "", "", "", "", "", "", "", ""]);
  }
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c]!)).join(" | ").trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** How busy the machine was with other work, for the chart's header. */
function othersLine(suites: SuiteResult[]): string {
  const all = suites.flatMap((su) => su.scenarios.flatMap((sc) => sc.targets.flatMap((t) => t.rounds.map((r) => r.othersPct ?? NaN)))).filter(Number.isFinite);
  return `other processes used a median ${median(all).toFixed(0)}% (max ${Math.max(...all).toFixed(0)}%) of the CPU during runs; load average ${suites.map((su) => su.loadavgBefore).join(" / ")}`;
}

const COLORS: Record<string, string> = { gateway: "#4f46e5", proxy: "#0ea5e9", direct: "#9ca3af" };

function chartRows(suites: SuiteResult[]): ChartRow[] {
  return suites.map((suite) => {
    const panels: Panel[] = [];
    for (const sc of suite.scenarios) {
      const key = sc.primary;
      const bar = (t: TargetResult): Bar => ({ label: t.name, value: t.median[key]!, min: t.min[key]!, max: t.max[key]!, color: COLORS[t.name] ?? "#6b7280" });
      const c = (label: string) => sc.comparisons.find((x) => x.label === label)?.median ?? NaN;
      const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)} ms`;
      const note =
        sc.id === 1
          ? `${c("gateway / proxy").toFixed(2)}x proxy, ${c("gateway / direct").toFixed(2)}x direct`
          : sc.id === 3
            ? `${c("gateway / direct").toFixed(2)}x direct; peak RSS ${fmt(sc.extra.gatewayPeakMiB as number)} MiB`
            : sc.id === 4
              ? `gateway adds p50 ${signed(c("gateway - direct, p50"))}, p99 ${signed(c("gateway - direct, p99"))}`
              : `${c("gateway / proxy").toFixed(2)}x proxy`;
      const p: Panel = { title: `${sc.id}. ${sc.title}`, unit: key === "rps" ? "req/s" : key === "wallMs" ? "ms per listing" : "p99 ms", bars: sc.targets.map(bar), note };
      if (sc.id === 1) {
        const proxy = sc.targets.find((t) => t.name === "proxy");
        if (proxy) p.line = { value: proxy.median.rps! * 0.5, label: "bar: 0.5 x proxy" };
      }
      if (sc.id === 4) {
        const direct = sc.targets.find((t) => t.name === "direct");
        if (direct) p.line = { value: direct.median.p99! + 2, label: "bar: direct p99 + 2 ms" };
      }
      panels.push(p);
    }
    return { label: `upstream +${suite.latencyMs} ms`, panels };
  });
}

// ---------------------------------------------------------------------------------------------------

async function runSuite(s: Settings, latencyMs: number): Promise<SuiteResult> {
  console.log(`\n=== upstream latency ${latencyMs} ms: starting emulator (${s.sessions} sessions), gateway (${s.mode}) and proxy`);
  const sys = await startSystem(s, latencyMs);
  try {
    console.log(`emulator ${sys.emulatorUrl} (pid ${sys.emulator.pid}), gateway ${sys.gatewayUrl} (pid ${sys.gateway.pid}), proxy ${sys.proxyUrl} (pid ${sys.proxy.pid})`);
    // Scenarios 1 and 4 read these in turn.
    const first = await httpGet(`${sys.emulatorUrl}/v1/sessions?scope_id=global&recursive=true&page_size=${READ_IDS}`, { authorization: `Bearer ${sys.token}` });
    const sessionIds = ((JSON.parse(first.text) as { items?: { id: string }[] }).items ?? []).map((x) => x.id);
    if (sessionIds.length === 0) throw new Error(`no session to read: ${first.text.slice(0, 200)}`);

    const scenarios: ScenarioResult[] = [];
    const skipped: string[] = [];
    const loadavgBefore = loadavg();
    if (s.scenarios.has(1)) scenarios.push(await scenario1(sys, s, sessionIds));
    if (s.scenarios.has(2)) scenarios.push(await scenario2(sys, s));
    if (s.scenarios.has(3)) scenarios.push(await scenario3(sys, s));
    if (s.scenarios.has(4)) scenarios.push(await scenario4(sys, s, sessionIds, !s.scenarios.has(1)));
    if (s.scenarios.has(5)) {
      const neighbours = neighbourSelections();
      if (neighbours.length > 0) scenarios.push(await scenario5(sys, s, neighbours));
      else skipped.push("5 skipped: schema.graphql has no Session.target/user/host");
    }
    if (s.cpuProfDir && sys.measured) {
      console.log(
        `gateway profile: measured rounds from ${sys.measured.fromMs.toFixed(0)} to ${sys.measured.toMs.toFixed(0)} ms after start; ` +
          `npx tsx bench/profile-top.ts ${s.cpuProfDir} --from-ms ${sys.measured.fromMs.toFixed(0)} --to-ms ${sys.measured.toMs.toFixed(0)}`,
      );
    }
    return { latencyMs, loadavgBefore, loadavgAfter: loadavg(), gatewayProfileWindowMs: sys.measured, scenarios, skipped };
  } finally {
    await stopSystem(sys);
  }
}

async function main(): Promise<void> {
  const s = parseSettings(process.argv.slice(2), process.env);
  if (s.rounds < 3) console.warn(`! ${s.rounds} round(s): medians of fewer than 3 rounds say little`);
  const started = new Date();
  if (s.build) await build();
  else if (s.mode === "dist") console.log("using dist/ as it is (--no-build)");
  if (s.cpuProfDir) mkdirSync(s.cpuProfDir, { recursive: true });

  const suites: SuiteResult[] = [];
  for (const latency of s.latencies) suites.push(await runSuite(s, latency));

  const cpuModel = cpus()[0]?.model ?? "unknown cpu";
  const settingsLine =
    `${s.sessions} sessions, ${s.rounds} rounds of ${s.durationS} s (warm-up ${s.warmupS}-${s.warmupMaxS} s and >= ${s.warmupRequests} requests per target), ${s.connections} connections; ` +
    `scenario 4 at ${s.rate} req/s over ${s.rateConnections} connection(s); gateway from ${s.mode === "dist" ? "dist/ (compiled)" : "src/ via tsx"}` +
    (s.gatewayNodeArgs.length ? ` with node ${s.gatewayNodeArgs.join(" ")}` : "");
  const machine = `node ${process.version}, ${cpus().length} x ${cpuModel}`;
  const git = (args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8", timeout: 10_000 }).stdout?.trim() ?? "";
  const barList = suites.flatMap(bars);
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    // Read-only: which code was measured.
    commit: git(["rev-parse", "--short", "HEAD"]),
    uncommittedChanges: git(["status", "--porcelain", "--", "src"]) !== "",
    settings: { ...s, scenarios: [...s.scenarios] },
    suites,
    bars: barList,
  };
  const outDir = join(ROOT, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, "latest.svg"), renderSvg("boundary-graphql benchmark", [`${started.toISOString()}, ${machine}`, settingsLine, othersLine(suites)], chartRows(suites)));

  console.log(`\n${settingsLine}\n${machine}\n`);
  console.log(table(suites));
  console.log(
    "\nothers %: CPU that processes outside the benchmark used during each run; steal %: CPU the hypervisor gave to other" +
      " machines; both as % of all cores (median, max over rounds). Above ~10% the numbers are disturbed.",
  );
  for (const su of suites) console.log(`load average at ${su.latencyMs} ms: ${su.loadavgBefore} before, ${su.loadavgAfter} after`);
  console.log("\nBars of the issue:");
  for (const b of barList) console.log(`  [${b.latencyMs} ms] ${b.bar}: ${b.measured}  ${b.pass ? "PASS" : "FAIL"}`);
  const errors = suites.flatMap((su) => su.scenarios.flatMap((sc) => sc.targets.flatMap((t) => (t.max.errors ? [`${su.latencyMs} ms scenario ${sc.id} ${t.name}: ${t.max.errors} errors in a round`] : []))));
  for (const e of errors) console.log(`! ${e}`);
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.svg`);
  if (s.cpuProfDir) console.log(`gateway CPU profile(s) in ${resolve(s.cpuProfDir)}`);
}

main().then(
  () => stopAll().then(() => process.exit(0)),
  (err: unknown) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    stopAll().finally(() => process.exit(1));
  },
);
