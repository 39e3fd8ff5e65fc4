/** Scenario 5: a page of 100 sessions with every neighbour (target, user, host, host set, auth token). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type GraphQLObjectType, buildSchema, getNamedType, isLeafType, isNonNullType, isObjectType } from "graphql";
import { type Target, get, graphql, jsonCheck } from "../lib/load.js";
import { ROOT } from "../lib/processes.js";
import { type ScenarioResult, compare } from "../lib/results.js";
import type { Settings } from "../lib/settings.js";
import type { System } from "../lib/system.js";
import { againstBaseline, throughputScenario } from "./throughput.js";

/** Session's fields leading to other resources, each with a selection of that resource's leaf fields
 * (from schema.graphql, which a test keeps equal to the code's schema). Empty when there are none. */
export function neighbourSelections(): { field: string; idField: string; selection: string }[] {
  const idFields: Record<string, string> = {
    target: "targetId",
    user: "userId",
    host: "hostId",
    hostSet: "hostSetId",
    authToken: "authTokenId",
  };
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

export async function scenario5(sys: System, s: Settings, neighbours: ReturnType<typeof neighbourSelections>): Promise<ScenarioResult> {
  type Item = Record<string, unknown> & Record<string, { id?: string } | null | undefined>;
  const pageOk = (items: Item[] | undefined) => {
    if (items?.length !== 100) return `expected 100 items, got ${items?.length}`;
    for (const item of items) {
      for (const n of neighbours) {
        const id = item[n.idField] as unknown as string | null | undefined;
        if (id && item[n.field]?.id !== id)
          return `item ${String(item.id)}: ${n.field} ${JSON.stringify(item[n.field])?.slice(0, 120)} is not ${id}`;
      }
    }
    return undefined;
  };
  const ids = neighbours.map((n) => n.idField).join(" ");
  const targets: Target[] = [
    {
      name: "gateway",
      pid: sys.gateway.pid,
      req: graphql(
        sys,
        `{ sessions(first: 100) { items { id ${ids} ${neighbours.map((n) => n.selection).join(" ")} } hasNextPage listToken } }`,
      ),
      check: jsonCheck((v) => pageOk(v.data?.sessions?.items)),
    },
    {
      name: "proxy",
      pid: sys.proxy.pid,
      req: get(`${sys.proxyUrl}/sessions?first=100&neighbours=1`, sys),
      check: jsonCheck((v) => pageOk(v.items)),
    },
  ];
  const { results, rounds, baseline } = await throughputScenario(
    sys,
    s,
    5,
    `sessions(first: 100) with ${neighbours.map((n) => n.field).join(", ")}`,
    targets,
    {
      connections: s.connections,
      warm: true,
    },
  );
  return {
    id: 5,
    title: "sessions(first: 100) + neighbours",
    primary: "rps",
    targets: results,
    comparisons: [compare("gateway / proxy", "x", rounds[0]!, rounds[1]!, "rps"), ...againstBaseline(rounds[0]!, baseline, "rps")],
    notes: [
      `${neighbours.map((n) => n.field).join(", ")}: every scalar field of each; ${s.connections} connections, ${s.durationS} s per run`,
    ],
    extra: {},
  };
}
