/** One suite: start the system at one upstream latency, run the chosen scenarios in order, stop it. */
import { httpGet } from "../lib/processes.js";
import type { ScenarioResult, SuiteResult } from "../lib/results.js";
import { loadavg } from "../lib/sampling.js";
import type { Settings } from "../lib/settings.js";
import { startSystem, stopSystem } from "../lib/system.js";
import type { Baseline } from "../lib/baseline.js";
import { scenario4 } from "./added-latency.js";
import { neighbourSelections, scenario5 } from "./neighbours.js";
import { scenarioOverload } from "./overload.js";
import { scenario2 } from "./session-page.js";
import { scenario1 } from "./session-read.js";
import { READ_IDS } from "./throughput.js";
import { scenario3 } from "./whole-listing.js";

export async function runSuite(s: Settings, latencyMs: number, baseline?: Baseline): Promise<SuiteResult> {
  console.log(`\n=== upstream latency ${latencyMs} ms: starting emulator (${s.sessions} sessions), gateway (${s.mode}) and proxy`);
  const sys = await startSystem(s, latencyMs, baseline);
  try {
    console.log(
      `emulator ${sys.emulatorUrl} (pid ${sys.emulator.pid}), gateway ${sys.gatewayUrl} (pid ${sys.gateway.pid}), proxy ${sys.proxyUrl} (pid ${sys.proxy.pid})` +
        (sys.baseline ? `, ${sys.baseline.label} ${sys.baseline.url} (pid ${sys.baseline.child.pid})` : ""),
    );
    // Scenarios 1 and 4 read these in turn.
    const first = await httpGet(`${sys.emulatorUrl}/v1/sessions?scope_id=global&recursive=true&page_size=${READ_IDS}`, {
      authorization: `Bearer ${sys.token}`,
    });
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
    // Last: its burst leaves the gateway's heap grown, which would colour any scenario after it.
    if (s.scenarios.has(6)) scenarios.push(await scenarioOverload(sys, s, sessionIds));
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
