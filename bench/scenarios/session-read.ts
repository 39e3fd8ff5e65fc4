/** Scenario 1: `session(id)` with every scalar field and states, read for one id after another. */
import { type Target, get, graphql, jsonCheck } from "../lib/load.js";
import { type ScenarioResult, compare } from "../lib/results.js";
import type { Settings } from "../lib/settings.js";
import type { System } from "../lib/system.js";
import { SESSION_FIELDS, againstBaseline, throughputScenario } from "./throughput.js";

export async function scenario1(sys: System, s: Settings, sessionIds: readonly string[]): Promise<ScenarioResult> {
  const targets = session1Targets(sys, sessionIds);
  const { results, rounds, baseline } = await throughputScenario(sys, s, 1, "session(id), every scalar field and states", targets, {
    connections: s.connections,
    warm: true,
  });
  return {
    id: 1,
    title: "session(id)",
    primary: "rps",
    targets: results,
    comparisons: [
      compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps"),
      compare("gateway / direct", "x", rounds[0]!, rounds[2]!, "rps"),
      ...againstBaseline(rounds[0]!, baseline, "rps"),
    ],
    notes: [`${s.connections} connections, ${s.durationS} s per run`],
    extra: {},
  };
}

/** Reads of one session after another (the ids cycle), as a console paging through sessions makes. */
export function session1Targets(sys: System, sessionIds: readonly string[]): Target[] {
  const sessionId = sessionIds[0]!;
  const hasId = (v: { id?: string } | null | undefined) =>
    v?.id === sessionId ? undefined : `expected session ${sessionId}, got ${JSON.stringify(v).slice(0, 200)}`;
  const query = `query S($id: ID!) { session(id: $id) { ${SESSION_FIELDS} } }`;
  const gateway = graphql(sys, query, { id: sessionId });
  gateway.variants = sessionIds.map((id) => ({ body: JSON.stringify({ query, variables: { id } }) }));
  const proxy = get(`${sys.proxyUrl}/session/${sessionId}`, sys);
  proxy.variants = sessionIds.map((id) => ({ path: `/session/${id}` }));
  const direct = get(`${sys.emulatorUrl}/v1/sessions/${sessionId}`, sys);
  direct.variants = sessionIds.map((id) => ({ path: `/v1/sessions/${id}` }));
  return [
    {
      name: "gateway",
      pid: sys.gateway.pid,
      req: gateway,
      check: jsonCheck((v) => hasId(v.data?.session) ?? (v.data.session.states?.length ? undefined : "no states")),
    },
    { name: "proxy", pid: sys.proxy.pid, req: proxy, check: jsonCheck((v) => hasId(v)) },
    { name: "direct", pid: sys.emulator.pid, req: direct, check: jsonCheck((v) => hasId(v)) },
  ];
}
