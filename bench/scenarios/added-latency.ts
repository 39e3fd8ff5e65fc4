/** Scenario 4: the latency the gateway adds to `session(id)` at a fixed low rate, against the direct read. */
import { type ScenarioResult, compare } from "../lib/results.js";
import type { Settings } from "../lib/settings.js";
import type { System } from "../lib/system.js";
import { session1Targets } from "./session-read.js";
import { againstBaseline, throughputScenario } from "./throughput.js";

export async function scenario4(sys: System, s: Settings, sessionIds: readonly string[], warm: boolean): Promise<ScenarioResult> {
  const targets = session1Targets(sys, sessionIds);
  const { results, rounds, baseline } = await throughputScenario(sys, s, 4, `added latency of session(id) at ${s.rate} req/s`, targets, {
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
      ...againstBaseline(rounds[0]!, baseline, "p50", "ms"),
      ...againstBaseline(rounds[0]!, baseline, "p99", "ms"),
    ],
    notes: [
      `autocannon overallRate ${s.rate} with ${s.rateConnections} connection(s): each connection sends its share of a second back to back, then waits for the next second`,
      "latencies are exact per-response times (autocannon's own histogram keeps whole ms)",
    ],
    extra: {},
  };
}
