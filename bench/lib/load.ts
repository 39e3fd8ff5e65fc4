/** Targets, and the load runs over them: autocannon runs, warm-ups and checked probes. */
import autocannon from "autocannon";
import { assertAlive, httpSend, loopbackOnly, run } from "./processes.js";
import { cpuMs, othersMeter, pct } from "./sampling.js";
import type { Settings } from "./settings.js";
import { type System, quiesce, takeCalls } from "./system.js";

export interface RequestSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** When set, the load cycles through these (each replaces the path or the body of the request
   * above), so no cache keyed on the value read can answer every request. */
  variants?: { path?: string; body?: string }[];
}

export interface Target {
  name: string;
  /** The process whose CPU the target costs. */
  pid: number;
  req: RequestSpec;
  /** A problem with one answer, or undefined when it is right. */
  check(status: number, text: string): string | undefined;
}

export function graphql(sys: System, query: string, variables: Record<string, unknown> = {}): RequestSpec {
  return {
    url: `${sys.gatewayUrl}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${sys.token}` },
    body: JSON.stringify({ query, variables }),
  };
}

export function get(url: string, sys: System): RequestSpec {
  return { url, method: "GET", headers: { authorization: `Bearer ${sys.token}` } };
}

export function jsonCheck(f: (v: any) => string | undefined): Target["check"] {
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

export interface LoadRun {
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

export function cannon(
  req: RequestSpec,
  opts: { connections: number; durationS: number; overallRate?: number },
): Promise<{ result: autocannon.Result; latencies: number[] }> {
  return new Promise((res, rej) => {
    if (run.aborting) return rej(new Error("aborted"));
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
        run.cannon = undefined;
        if (err) rej(err);
        else res({ result, latencies });
      },
    );
    run.cannon = inst;
    // autocannon's own histogram keeps whole milliseconds; these are the exact per-response times.
    inst.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** Each call hands the next variant, over all connections, round and round. */
export function rotate(variants: NonNullable<RequestSpec["variants"]>): (req: autocannon.RequestParts) => autocannon.RequestParts {
  let next = 0;
  return (req) => ({ ...req, ...variants[next++ % variants.length] });
}

/**
 * Unmeasured load in 1 s slices: at least `warmupS` of them and `warmupRequests` requests, then until a
 * slice's throughput is within 10% of the one before; at most `warmupMaxS` slices.
 */
export async function warmUp(
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
    if (i >= s.warmupS && requests >= s.warmupRequests && Math.abs(rps - prev) <= 0.1 * prev)
      return { seconds: i, requests, rps, settled: true };
    prev = rps;
  }
  return { seconds: max, requests, rps, settled: false };
}

export async function loadRun(
  sys: System,
  t: Target,
  opts: { connections: number; durationS: number; overallRate?: number },
): Promise<LoadRun> {
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
export async function probe(sys: System, t: Target, n: number): Promise<CallsPerOp> {
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

export interface CallsPerOp {
  total: number;
  byRoute: Record<string, number>;
}
