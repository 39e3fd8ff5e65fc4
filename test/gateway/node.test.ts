import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;
/** One id of each supported type, taken from a session that names them all. */
let ids: { session: string; project: string; target: string; user: string; host: string; hostSet: string; authToken: string };

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 40, seed: 5 } });
  admin = stack.emulator.tokens.admin.token;
  const s = stack.emulator.store.sessions().find((x: WireSession) => x.target_id && x.host_id && x.host_set_id && x.auth_token_id)!;
  ids = {
    session: s.id,
    project: s.scope_id!,
    target: s.target_id!,
    user: s.user_id!,
    host: s.host_id!,
    hostSet: s.host_set_id!,
    authToken: s.auth_token_id!,
  };
});
afterEach(() => {
  stack.emulator.faults.latencyMs = 0;
});
afterAll(() => stack.close());

const FRAGMENTS = `__typename id
  ... on Session { status targetId }
  ... on Scope { type name }
  ... on Target { name scopeId }
  ... on User { loginName }
  ... on Host { address }
  ... on HostSet { hostIds }
  ... on AuthToken { userId }`;

describe("node(id)", () => {
  it("dispatches on the id's prefix to each type, with one read of the matching endpoint", async () => {
    const cases: [string, string, string][] = [
      [ids.session, "Session", `/v1/sessions/${ids.session}`],
      [ids.project, "Scope", `/v1/scopes/${ids.project}`],
      ["global", "Scope", "/v1/scopes/global"],
      [ids.target, "Target", `/v1/targets/${ids.target}`],
      [ids.user, "User", `/v1/users/${ids.user}`],
      [ids.host, "Host", `/v1/hosts/${ids.host}`],
      [ids.hostSet, "HostSet", `/v1/host-sets/${ids.hostSet}`],
      [ids.authToken, "AuthToken", `/v1/auth-tokens/${ids.authToken}`],
    ];
    for (const [id, typename, path] of cases) {
      stack.emulator.clearCalls();
      const res = await stack.gql(`query N($id: ID!) { node(id: $id) { ${FRAGMENTS} } }`, { id }, { token: admin });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.node).toMatchObject({ __typename: typename, id });
      expect(stack.emulator.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${path}`]);
    }
  });

  it("answers with the type's own fields", async () => {
    const res = await stack.gql(
      `query N($s: ID!, $t: ID!, $u: ID!) { s: node(id: $s) { ${FRAGMENTS} } t: node(id: $t) { ${FRAGMENTS} } u: node(id: $u) { ${FRAGMENTS} } }`,
      { s: ids.session, t: ids.target, u: ids.user },
      { token: admin },
    );
    const wire = stack.emulator.store.session(ids.session)!;
    expect(res.body.data!.s).toEqual({ __typename: "Session", id: ids.session, status: wire.status!.toUpperCase(), targetId: ids.target });
    expect(res.body.data!.t).toMatchObject({ __typename: "Target", scopeId: ids.project });
    expect(res.body.data!.u.loginName).toEqual(expect.any(String));
  });

  it("refuses an unknown prefix with BAD_USER_INPUT and makes no call", async () => {
    for (const id of ["g_1234567890", "r_1234567890", "nope", "_s_1234567890", "S_1234567890"]) {
      stack.emulator.clearCalls();
      const res = await stack.gql(`query N($id: ID!) { node(id: $id) { id } }`, { id }, { token: admin });
      expect(res.body.data).toEqual({ node: null });
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0]).toMatchObject({ path: ["node"], extensions: { code: "BAD_USER_INPUT", field: "id" } });
      expect(stack.emulator.calls).toHaveLength(0);
    }
  });

  it("refuses a known prefix with characters that would steer the URL, before any call", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(`{ node(id: "ttcp_../../scopes/global") { id } }`, {}, { token: admin });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("is null with NOT_FOUND or FORBIDDEN when the resource cannot be read", async () => {
    const missing = await stack.gql(`{ node(id: "hst_0000000000") { id } }`, {}, { token: admin });
    expect(missing.body.data).toEqual({ node: null });
    expect(missing.body.errors![0]).toMatchObject({ path: ["node"], extensions: { code: "NOT_FOUND" } });
    const alice = stack.emulator.tokens.users[0]!;
    const forbidden = await stack.gql(`query N($id: ID!) { node(id: $id) { id } }`, { id: ids.host }, { token: alice.token });
    expect(forbidden.body.errors![0]).toMatchObject({ path: ["node"], extensions: { code: "FORBIDDEN" } });
  });

  it("shares the request's loaders with session(id) and the related fields", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `query N($s: ID!, $t: ID!) { a: node(id: $s) { id } b: session(id: $s) { id target { name } } c: node(id: $t) { id } }`,
      { s: ids.session, t: ids.target },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    expect(stack.emulator.calls.map((c) => c.path).sort()).toEqual([`/v1/sessions/${ids.session}`, `/v1/targets/${ids.target}`].sort());
  });
});

describe("nodes(ids)", () => {
  it("answers in the order asked, each distinct id read once, all reads concurrent", async () => {
    const asked = [ids.user, ids.session, ids.target, ids.user, ids.host, "global", ids.hostSet, ids.authToken, ids.project, ids.session];
    stack.emulator.faults.latencyMs = 40;
    stack.emulator.clearCalls();
    const res = await stack.gql(`query N($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids: asked }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.nodes.map((n: { id: string }) => n.id)).toEqual(asked);
    expect(res.body.data!.nodes.map((n: { __typename: string }) => n.__typename)).toEqual([
      "User",
      "Session",
      "Target",
      "User",
      "Host",
      "Scope",
      "HostSet",
      "AuthToken",
      "Scope",
      "Session",
    ]);
    const calls = stack.emulator.calls;
    expect(calls).toHaveLength(new Set(asked).size);
    expect(new Set(calls.map((c) => c.path)).size).toBe(calls.length);
    // Everything was in flight together: each call started before any had ended.
    const firstEnd = Math.min(...calls.map((c) => c.end));
    expect(calls.every((c) => c.start < firstEnd)).toBe(true);
  });

  it("nulls only the items that fail, each with its error at its index", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `query N($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      { ids: [ids.session, "zz_1234567890", "s_0000000000", ids.target] },
      { token: admin },
    );
    expect(res.body.data!.nodes).toEqual([{ id: ids.session }, null, null, { id: ids.target }]);
    const byPath = Object.fromEntries(res.body.errors!.map((e) => [JSON.stringify(e.path), e.extensions!.code]));
    expect(byPath).toEqual({ '["nodes",1]': "BAD_USER_INPUT", '["nodes",2]': "NOT_FOUND" });
    expect(res.body.errors!.find((e) => e.path![1] === 1)!.extensions!.field).toBe("ids");
    // The unknown prefix cost nothing upstream.
    expect(
      callsTo(stack.emulator, "GET", /./)
        .map((c) => c.path)
        .sort(),
    ).toEqual([`/v1/sessions/${ids.session}`, "/v1/sessions/s_0000000000", `/v1/targets/${ids.target}`].sort());
  });

  it("takes at most 1000 ids", async () => {
    stack.emulator.clearCalls();
    const many = Array.from({ length: 1001 }, (_, i) => `s_${String(i).padStart(10, "0")}`);
    const res = await stack.gql(`query N($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: many }, { token: admin });
    expect(res.body.errors![0]).toMatchObject({ path: ["nodes"], extensions: { code: "BAD_USER_INPUT", field: "ids" } });
    expect(stack.emulator.calls).toHaveLength(0);
  });
});
