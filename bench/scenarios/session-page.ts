/** Scenario 2: a page of 100 sessions with each one's project and org (`scope { name parent { name } }`). */
import { type Target, get, graphql, jsonCheck } from "../lib/load.js";
import { type ScenarioResult, compare } from "../lib/results.js";
import type { Settings } from "../lib/settings.js";
import type { System } from "../lib/system.js";
import { SESSION_FIELDS, againstBaseline, throughputScenario } from "./throughput.js";

export async function scenario2(sys: System, s: Settings): Promise<ScenarioResult> {
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
  const { results, rounds, baseline } = await throughputScenario(
    sys,
    s,
    2,
    "sessions(first: 100) with scope { name parent { name } }",
    targets,
    {
      connections: s.connections,
      warm: true,
    },
  );
  return {
    id: 2,
    title: "sessions(first: 100) + scopes",
    primary: "rps",
    targets: results,
    comparisons: [compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps"), ...againstBaseline(rounds[0]!, baseline, "rps")],
    notes: [`every session field and states, plus scope { name parent { name } }; ${s.connections} connections, ${s.durationS} s per run`],
    extra: {},
  };
}
