/** What the throughput scenarios share: checked probes, a warm-up, then the targets in alternating rounds. */
import { type CallsPerOp, type Target, loadRun, probe, warmUp } from "../lib/load.js";
import { type Comparison, type TargetResult, compare, summarise } from "../lib/results.js";
import type { Settings } from "../lib/settings.js";
import type { System } from "../lib/system.js";
import { fmt } from "../svg.js";

/** How many different sessions scenarios 1 and 4 read, one after another. */
export const READ_IDS = 500;

export const SESSION_FIELDS = `id targetId scopeId createdTime updatedTime version type expirationTime authTokenId userId hostSetId hostId
  endpoint status certificate terminationReason authorizedActions states { status startTime endTime }`;

export async function throughputScenario(
  sys: System,
  s: Settings,
  id: number,
  title: string,
  targets: Target[],
  opts: { connections: number; overallRate?: number; warm: boolean },
): Promise<{ results: TargetResult[]; rounds: Record<string, number>[][]; baseline: Record<string, number>[] | undefined }> {
  console.log(`\n[${sys.latencyMs} ms] scenario ${id}: ${title}`);
  // With --baseline, the earlier build is one more target in the same alternation, asked exactly what the
  // gateway (always the first target) is asked.
  const gateway = targets[0]!;
  if (sys.baseline) {
    if (gateway.name !== "gateway") throw new Error(`scenario ${id}: the first target must be the gateway to compare a baseline`);
    targets = [
      ...targets,
      {
        ...gateway,
        name: "baseline",
        pid: sys.baseline.child.pid,
        req: { ...gateway.req, url: gateway.req.url.replace(sys.gatewayUrl, sys.baseline.url) },
      },
    ];
  }
  const calls = new Map<string, CallsPerOp>();
  for (const t of targets) calls.set(t.name, await probe(sys, t, 20));
  if (opts.warm && s.warmupS > 0) {
    for (const t of targets) {
      const w = await warmUp(t, s, { connections: opts.connections, overallRate: opts.overallRate });
      console.log(
        `  warm-up  ${t.name.padEnd(8)} ${w.seconds} s, ${w.requests} requests, last second ${fmt(w.rps)} req/s${w.settled ? "" : " (stopped at --warmup-max)"}`,
      );
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
  return {
    results: targets.map((t, i) => summarise(t.name, rounds[i]!, calls.get(t.name))),
    rounds,
    baseline: sys.baseline ? rounds[targets.length - 1] : undefined,
  };
}

/** The gateway against the `--baseline` build, round by round (none without a baseline). */
export function againstBaseline(
  gateway: Record<string, number>[],
  baseline: Record<string, number>[] | undefined,
  key: string,
  unit: Comparison["unit"] = "x",
): Comparison[] {
  if (!baseline) return [];
  const label = unit === "x" ? "gateway / baseline" : `gateway - baseline, ${key}`;
  return [compare(label, unit, gateway, baseline, key)];
}
