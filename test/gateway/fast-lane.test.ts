/**
 * The fast lane against Apollo Server's pipeline: two gateways, FAST_LANE=true and FAST_LANE=false, each
 * on its own emulator seeded alike, get the same requests; status, content type and body must match byte
 * for byte, and so must the calls that reached each controller. Each case also says which path must
 * have answered it on the fast-lane gateway (read from its `graphql_request_lane_total` metric), so a
 * fast lane that silently handed everything to Apollo would fail here too.
 */
import { readFileSync } from "node:fs";
import { buildSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoundaryClient } from "../../src/boundary/client.js";
import { createExecutionCore } from "../../src/execution/index.js";
import { createFastPath } from "../../src/transport/fast-path.js";
import type { WireSession } from "../../src/boundary/wire.js";
import type { Emulator } from "../../src/emulator/types.js";
import { startStack, type Stack } from "../helpers/harness.js";

const EMULATOR = { sessions: 60, seed: 41, startTime: Date.UTC(2026, 10, 2, 12), cancelDelayMs: 60_000 };

type Role = "admin" | "user" | "scopeLimited" | "bogus" | "none";

interface Case {
  name: string;
  /** The raw request body (a string, so odd bodies can be sent as they are). */
  body: string;
  role?: Role;
  method?: "POST" | "GET";
  /** GET only: the query string. */
  search?: string;
  headers?: Record<string, string>;
  /** Which path the fast-lane gateway must have taken. */
  lane: "fast" | "apollo";
}

function tokenOf(emulator: Emulator, role: Role): string | undefined {
  switch (role) {
    case "admin":
      return emulator.tokens.admin.token;
    case "user":
      return emulator.tokens.users[0]!.token;
    case "scopeLimited":
      return emulator.tokens.scopeLimited.token;
    case "bogus":
      return "at_0000000000_s1NotARealTokenAtAll";
    case "none":
      return undefined;
  }
}

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  calls: string[];
}

async function send(stack: Stack, c: Case): Promise<Answer> {
  const before = stack.emulator.calls.length;
  // One request id for both gateways: every error carries it (extensions.requestId), and the answers are compared byte for byte.
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": "compare", ...c.headers };
  const token = tokenOf(stack.emulator, c.role ?? "admin");
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const method = c.method ?? "POST";
  const url = `${stack.gateway.url}/graphql${c.search ?? ""}`;
  const res = await fetch(
    url,
    method === "GET" ? { method, headers: { ...headers, "content-type": "application/json" } } : { method, headers, body: c.body },
  );
  // List tokens carry the controller's wall-clock time, which two controllers never share.
  const body = (await res.text()).replace(/"listToken":"[1-9A-HJ-NP-Za-km-z]+"/g, '"listToken":"<token>"');
  const calls = stack.emulator.calls.slice(before).map((x) => `${x.method} ${x.path} ${JSON.stringify(x.query)} ${x.status}`);
  return { status: res.status, contentType: res.headers.get("content-type"), body, calls };
}

async function laneCount(stack: Stack, lane: "fast" | "apollo"): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const m = new RegExp(`^graphql_request_lane_total\\{lane="${lane}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

const op = (name: string) => readFileSync(new URL(`../../operations/${name}.graphql`, import.meta.url), "utf8");
const body = (query: string, variables?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ query, variables, ...extra });

let fast: Stack;
let apollo: Stack;

async function pair(env: Record<string, string> = {}): Promise<[Stack, Stack]> {
  return Promise.all([
    startStack({ emulator: EMULATOR, env: { FAST_LANE: "true", ...env } }),
    startStack({ emulator: EMULATOR, env: { FAST_LANE: "false", ...env } }),
  ]);
}

/** Sends a case to both gateways, in turn, and compares everything. */
async function compare(c: Case, a: Stack = fast, b: Stack = apollo): Promise<Answer> {
  const before = await laneCount(a, "fast");
  const onFast = await send(a, c);
  const onApollo = await send(b, c);
  expect(onFast, c.name).toEqual(onApollo);
  expect(await laneCount(a, "fast"), `${c.name}: answered by ${c.lane}`).toBe(before + (c.lane === "fast" ? 1 : 0));
  expect(await laneCount(b, "fast"), "FAST_LANE=false never takes the fast lane").toBe(0);
  return onFast;
}

beforeAll(async () => {
  [fast, apollo] = await pair();
});
afterAll(async () => {
  await Promise.all([fast?.close(), apollo?.close()]);
});

describe("the fast lane answers as Apollo Server does", () => {
  let s: WireSession;
  let other: WireSession;
  let active: WireSession[];
  let project: string;

  beforeAll(() => {
    const sessions = fast.emulator.store.sessions();
    // The same seed gives both controllers the same data; everything below relies on it.
    expect(sessions.map((x) => `${x.id} ${x.status} ${x.version}`)).toEqual(
      apollo.emulator.store.sessions().map((x) => `${x.id} ${x.status} ${x.version}`),
    );
    s = sessions.find((x) => x.target_id && x.host_id && x.host_set_id && x.auth_token_id)!;
    other = sessions.find((x) => x.user_id !== s.user_id && x.id !== s.id)!;
    active = sessions.filter((x) => x.status === "active" || x.status === "pending");
    project = s.scope_id!;
    expect(active.length).toBeGreaterThanOrEqual(3);
  });

  it("reads: every shared operation, with and without errors", async () => {
    const answers = [
      await compare({ name: "ReadSession", body: body(op("ReadSession"), { id: s.id }), lane: "fast" }),
      await compare({ name: "ListSessions", body: body(op("ListSessions"), { first: 7 }), lane: "fast" }),
      await compare({
        name: "ListSessions, filtered, terminated",
        body: body(op("ListSessions"), { first: 50, filter: '"/item/status" == "terminated"', includeTerminated: true }),
        lane: "fast",
      }),
      await compare({ name: "SessionNeighbours as admin", body: body(op("SessionNeighbours"), { id: s.id }), lane: "fast" }),
      await compare({
        name: "SessionNeighbours as a user (partial FORBIDDEN)",
        body: body(op("SessionNeighbours"), { id: other.id }),
        role: "user",
        lane: "fast",
      }),
    ];
    // Not vacuous: real data came back, and the user's read carried errors.
    expect(JSON.parse(answers[0]!.body).data.session.id).toBe(s.id);
    expect(JSON.parse(answers[1]!.body).data.sessions.items).toHaveLength(7);
    expect(answers.some((a) => a.body.includes('"errors"'))).toBe(true);
  });

  it("errors from the controller and from the gateway's own checks, with the same codes and statuses", async () => {
    const q = `query($id: ID!) { session(id: $id) { id status scope { name parent { name } } } }`;
    const cases: Case[] = [
      { name: "NOT_FOUND", body: body(q, { id: "s_0000000000" }), lane: "fast" },
      { name: "hostile id", body: body(q, { id: "s_../../v1/scopes" }), lane: "fast" },
      { name: "UNAUTHENTICATED", body: body(q, { id: s.id }), role: "bogus", lane: "fast" },
      { name: "anonymous", body: body(q, { id: s.id }), role: "none", lane: "fast" },
      { name: "FORBIDDEN for another user's session", body: body(q, { id: other.id }), role: "user", lane: "fast" },
      {
        name: "partial FORBIDDEN on nested scopes",
        body: body(`{ sessions(first: 40) { items { id scope { id name parent { name } } } } }`),
        role: "scopeLimited",
        lane: "fast",
      },
    ];
    const codes: string[] = [];
    for (const c of cases) {
      const answer = await compare(c);
      for (const e of JSON.parse(answer.body).errors ?? []) codes.push(e.extensions.code);
    }
    expect(new Set(codes)).toEqual(new Set(["NOT_FOUND", "BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN"]));
  });

  it("the language: fragments, interfaces, aliases, directives, defaults, several operations", async () => {
    const nodeFields = `__typename id ... on Session { status targetId } ... on Scope { type name } ... on Target { name } ... on User { loginName } ... on Host { address } ... on HostSet { hostIds } ... on AuthToken { userId }`;
    const ids = [s.id, project, s.target_id, s.user_id, s.host_id, s.host_set_id, s.auth_token_id, "s_0000000000", "zz_nope", s.id];
    await compare({
      name: "nodes of every type, a miss and a bad id",
      body: body(`query($ids: [ID!]!) { nodes(ids: $ids) { ${nodeFields} } }`, { ids }),
      lane: "fast",
    });
    // A failure that settles before an earlier item (a refused id fails at once) keeps its index.
    const tail = await compare({
      name: "nodes ending in a refused id",
      body: body(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [s.id, other.id, "zz_nope"] }),
      lane: "fast",
    });
    expect(JSON.parse(tail.body).data.nodes).toEqual([{ id: s.id }, { id: other.id }, null]);
    await compare({ name: "node", body: body(`{ node(id: "${s.target_id}") { ${nodeFields} } }`), lane: "fast" });
    await compare({
      name: "named fragments and aliases",
      body: body(
        `fragment F on Session { id status states { status startTime endTime } } { a: session(id: "${s.id}") { ...F } b: session(id: "${other.id}") { ...F version } }`,
      ),
      lane: "fast",
    });
    for (const flag of [true, false]) {
      await compare({
        name: `@skip/@include (${flag})`,
        body: body(
          `query($f: Boolean!) { session(id: "${s.id}") { id scope @include(if: $f) { name } connections @skip(if: $f) { bytesUp } } }`,
          { f: flag },
        ),
        lane: "fast",
      });
    }
    const two = `query One { session(id: "${s.id}") { id } } query Two { sessions(first: 2) { items { id } } }`;
    await compare({ name: "operationName One", body: body(two, undefined, { operationName: "One" }), lane: "fast" });
    await compare({ name: "operationName Two", body: body(two, undefined, { operationName: "Two" }), lane: "fast" });
    await compare({
      name: "null variables and operationName",
      body: JSON.stringify({ query: `{ session(id: "${s.id}") { id } }`, variables: null, operationName: null }),
      lane: "fast",
    });
    await compare({
      name: "client extensions",
      body: body(`{ session(id: "${s.id}") { id } }`, undefined, {
        extensions: { clientLibrary: { name: "@apollo/client", version: "4" } },
      }),
      lane: "fast",
    });
    await compare({ name: "__typename at the root", body: body(`{ __typename session(id: "${s.id}") { __typename id } }`), lane: "fast" });
  });

  it("content negotiation", async () => {
    const q = body(`{ session(id: "${s.id}") { id } }`);
    const types = new Set<string | null>();
    for (const accept of [
      "application/json",
      "application/graphql-response+json",
      "application/graphql-response+json, application/json;q=0.9",
      "*/*",
      "application/*;q=0.5, text/html",
    ]) {
      types.add((await compare({ name: `Accept: ${accept}`, body: q, headers: { accept }, lane: "fast" })).contentType);
    }
    expect(types).toEqual(new Set(["application/json; charset=utf-8", "application/graphql-response+json; charset=utf-8"]));
    const refused = await compare({ name: "Accept: text/html only", body: q, headers: { accept: "text/html" }, lane: "apollo" });
    expect(refused.status).toBe(406);
  });

  it("leaves to Apollo what it does not take, and the answers are still the same", async () => {
    const id = s.id;
    const cases: Case[] = [
      { name: "syntax error", body: body(`{ session(id: "${id}") { id `), lane: "apollo" },
      { name: "validation error", body: body(`{ session(id: "${id}") { nope } }`), lane: "apollo" },
      { name: "unknown operationName", body: body(`query A { __typename }`, undefined, { operationName: "B" }), lane: "apollo" },
      { name: "missing variable", body: body(`query($id: ID!) { session(id: $id) { id } }`), lane: "apollo" },
      {
        name: "variable of the wrong type",
        body: body(`query($n: Int) { sessions(first: $n) { items { id } } }`, { n: "ten" }),
        lane: "apollo",
      },
      {
        name: "over the depth limit",
        body: body(
          `{ session(id: "${id}") { scope { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } }`,
        ),
        lane: "apollo",
      },
      { name: "over the cost limit", body: body(`{ sessions { items { connections { bytesUp } } } }`), lane: "apollo" },
      { name: "introspection", body: body(`{ __schema { queryType { name } } }`), lane: "apollo" },
      { name: "__type", body: body(`{ __type(name: "Session") { name } }`), lane: "apollo" },
      { name: "a subscription over POST", body: body(`subscription { sessionUpdated(id: "${id}") { id } }`), lane: "apollo" },
      {
        name: "unknown persisted query",
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } } }),
        lane: "apollo",
      },
      { name: "an unknown body key", body: JSON.stringify({ query: `{ __typename }`, odd: 1 }), lane: "apollo" },
      { name: "variables as a string", body: JSON.stringify({ query: `{ __typename }`, variables: "{}" }), lane: "apollo" },
      { name: "empty query", body: JSON.stringify({ query: "" }), lane: "apollo" },
      { name: "GET", method: "GET", body: "", search: `?query=${encodeURIComponent(`{ session(id: "${id}") { id } }`)}`, lane: "apollo" },
    ];
    const statuses: number[] = [];
    for (const c of cases) statuses.push((await compare(c)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400, 200, 200, 400, 200, 200, 400, 400, 200]);
  });

  it("mutations: cancel, a stale version, and an already terminated session", async () => {
    const m = `mutation($id: ID!, $v: Int) { cancelSession(id: $id, version: $v) { id status version terminationReason } }`;
    const a = active[0]!;
    const b = active.find((x) => x.id !== a.id && (x.version ?? 0) >= 2)!;
    const done = await compare({ name: "cancel", body: body(m, { id: a.id, v: a.version }), lane: "fast" });
    expect(JSON.parse(done.body).data.cancelSession.status).toBe("CANCELING");
    const stale = await compare({ name: "stale version", body: body(m, { id: b.id, v: b.version! - 1 }), lane: "fast" });
    expect(JSON.parse(stale.body).errors[0].extensions.code).toBe("CONFLICT");
    await compare({ name: "cancel again", body: body(m, { id: a.id }), lane: "fast" });
  });
});

describe("FEDERATION=true through the fast lane", () => {
  let fed: [Stack, Stack];
  beforeAll(async () => {
    fed = await pair({ FEDERATION: "true" });
  });
  afterAll(async () => {
    await Promise.all(fed.map((x) => x.close()));
  });

  it("_entities and _service answer alike", async () => {
    const s = fed[0].emulator.store.sessions()[0]!;
    const entities = `query E($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Session { id status user { loginName } } ... on Scope { id name } } }`;
    const answer = await compare(
      {
        name: "_entities",
        body: body(entities, {
          r: [
            { __typename: "Session", id: s.id },
            { __typename: "Scope", id: s.scope_id },
            { __typename: "Session", id: "s_0000000000" },
          ],
        }),
        lane: "fast",
      },
      ...fed,
    );
    expect(JSON.parse(answer.body).data._entities[0].id).toBe(s.id);
    await compare({ name: "_service", body: body(`{ _service { sdl } }`), lane: "fast" }, ...fed);
  });
});

describe("createFastPath().plan", () => {
  const schema = buildSchema(`type Query { a(n: Int): Int b: [Int] } type Mutation { m: Int } type Subscription { s: Int }`);
  // Planning calls nothing upstream: the client points at a port nobody listens on.
  const client = createBoundaryClient({ baseUrl: "http://127.0.0.1:9", timeoutMs: 1_000 });
  const lane = (max?: number) => {
    const core = createExecutionCore({
      schema,
      limits: { maxDepth: 3, maxAliases: 1, maxRootFields: 2, maxCost: 100, maxTokens: 5_000 },
      contextDeps: { client, fallbackToken: undefined, maxListItems: 100 },
      logger: { error() {}, warn() {}, info() {}, debug() {} },
      cache: { maxDocuments: max },
    });
    const path = createFastPath(core, () => {});
    return {
      plan: path.plan,
      get size() {
        return core.cache.size;
      },
    };
  };

  it("takes plain queries and mutations, and declines everything else before running anything", () => {
    const l = lane();
    expect(l.plan("POST", undefined, { query: "{ a }" })?.contentType).toBe("application/json; charset=utf-8");
    expect(l.plan("POST", "application/graphql-response+json", { query: "mutation { m }" })?.op.operation.operation).toBe("mutation");
    expect(
      l.plan("POST", undefined, { query: "query Q($n: Int) { a(n: $n) }", variables: { n: 3 }, operationName: "Q" })?.variables,
    ).toEqual({ n: 3 });
    const declined: [string, string | undefined, unknown][] = [
      ["GET", undefined, { query: "{ a }" }],
      ["POST", undefined, [{ query: "{ a }" }]],
      ["POST", undefined, "{ a }"],
      ["POST", undefined, { query: "{ a" }],
      ["POST", undefined, { query: "{ c }" }],
      ["POST", undefined, { query: "subscription { s }" }],
      ["POST", undefined, { query: "{ __schema { types { name } } }" }],
      ["POST", undefined, { query: "{ a }", extensions: { persistedQuery: {} } }],
      ["POST", undefined, { query: "{ a }", operationName: "Nope" }],
      ["POST", undefined, { query: "{ a }", variables: [] }],
      ["POST", undefined, { query: "{ a }", operationName: 1 }],
      ["POST", "text/html", { query: "{ a }" }],
      ["POST", undefined, { query: "{ x: a y: b }" }],
      ["POST", undefined, { query: "query($n: Int) { a(n: $n) }", variables: { n: "x" } }],
    ];
    for (const [method, accept, b] of declined) expect(l.plan(method, accept, b), JSON.stringify([method, accept, b])).toBeUndefined();
  });

  it("keeps at most maxDocuments query texts, dropping the oldest", () => {
    const l = lane(3);
    for (const q of ["{ a }", "{ b }", "{ a b }", "{ b a }"]) expect(l.plan("POST", undefined, { query: q })).toBeDefined();
    expect(l.size).toBe(3);
  });
});
