/** Scenario 3: the whole listing through the gateway against a client walking the controller's pages itself. */
import { graphql, jsonCheck } from "../lib/load.js";
import { assertAlive, httpGet, httpSend } from "../lib/processes.js";
import { type ScenarioResult, compare, summarise } from "../lib/results.js";
import { cpuMs, memory, othersMeter, resetPeak } from "../lib/sampling.js";
import type { Settings } from "../lib/settings.js";
import { type System, quiesce, takeCalls } from "../lib/system.js";
import { SESSION_FIELDS } from "./throughput.js";

/** Unmeasured listings of scenario 3, per target, before its rounds. */
const SCENARIO3_WARMUP = 3;

export async function scenario3(sys: System, s: Settings): Promise<ScenarioResult> {
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
        return n === s.sessions && v.data.sessions.hasNextPage === false
          ? undefined
          : `expected ${s.sessions} items and the end of the listing, got ${n}`;
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
    notes: [
      `includeTerminated: true so the listing holds all ${s.sessions}; every session field and states; one request at a time`,
      `direct walk: ${firstWalk.pages} pages`,
      `${SCENARIO3_WARMUP} unmeasured listings per target first`,
    ],
    extra: {
      gatewayRssBeforeMiB: before.rssMiB,
      gatewayPeakBeforeMiB: before.peakMiB,
      gatewayPeakMiB: after.peakMiB,
      gatewayRssAfterMiB: after.rssMiB,
      peakResetBeforeScenario: peakReset,
    },
  };
}
