import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSchema, getIntrospectionQuery, getOperationAST, parse } from "graphql";
import { createLimitChecker, verdictVariables } from "../../src/execution/limits.js";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 30, seed: 6 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

async function refused(query: string, limit: string, variables: Record<string, unknown> = {}) {
  stack.emulator.clearCalls();
  const res = await stack.gql(query, variables, { token: admin });
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  const err = res.body.errors![0]!;
  expect(err.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit });
  expect(stack.emulator.calls).toHaveLength(0);
  return err;
}

describe("query limits", () => {
  it("refuses a 400-alias session query before any upstream call", async () => {
    const id = stack.emulator.store.sessions()[0]!.id;
    // 400, not more: 11 tokens each, and past MAX_TOKENS (5000) the parser refuses it first.
    const q = `{ ${Array.from({ length: 400 }, (_, i) => `a${i}: session(id: "${id}") { id }`).join(" ")} }`;
    const err = await refused(q, "alias count");
    expect(err.extensions).toMatchObject({ max: 30, actual: 400 });
  });

  it("refuses a 50-deep parent chain", async () => {
    const chain = `${"parent { ".repeat(50)}id${" }".repeat(50)}`;
    const err = await refused(`{ scope(id: "global") { ${chain} } }`, "depth");
    expect(err.extensions).toMatchObject({ max: 10, actual: 52 });
  });

  it("refuses an unbounded listing with neighbours, and says to add first", async () => {
    const err = await refused(`{ sessions { items { id connections { bytesUp } scope { parent { name } } } } }`, "estimated cost");
    expect(err.message).toContain("first: N");
    expect(err.extensions!.actual).toBe(10 + 10_000 * 2);
  });

  it("counts `first` from variables", async () => {
    const q = `query($n: Int) { sessions(first: $n, includeTerminated: true) { items { connections { bytesUp } } } }`;
    await refused(q, "estimated cost", { n: 9000 });
    const ok = await stack.gql(q, { n: 10 }, { token: admin });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data!.sessions.items).toHaveLength(10);
  });

  it("refuses too many root fields", async () => {
    const q = `{ ${Array.from({ length: 25 }, (_, i) => `r${i}: __typename s${i}: scope(id: "global") { id }`)
      .slice(0, 21)
      .join(" ")} }`;
    await refused(q.replace(/r\d+: __typename /g, ""), "root field count");
  });

  it("lets the README's operations through under the default limits", async () => {
    const s = stack.emulator.store.sessions()[0]!;
    for (const q of [
      `{ sessions(first: 20) { items { id status scope { name parent { name } } connections { bytesUp } } } }`,
      `query Page($after: String) { sessions(first: 20, after: $after) { items { id status createdTime userId scope { name parent { name } } connections { bytesUp bytesDown } } hasNextPage listToken } }`,
      `{ session(id: "${s.id}") { id status version states { status startTime endTime } connections { clientTcpAddress closedReason } } }`,
      `{ sessions(includeTerminated: true) { items { id status createdTime } } }`,
    ]) {
      const res = await stack.gql(q, {}, { token: admin });
      expect(res.body.errors, q).toBeUndefined();
    }
  });

  it("lets Sandbox's introspection query through", async () => {
    const res = await stack.gql(getIntrospectionQuery(), {}, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it("refuses batched (array) requests unless enabled", async () => {
    const res = await fetch(`${stack.gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]),
    });
    expect(res.status).toBe(400);
  });
});

describe("batched requests when enabled", () => {
  let batched: Stack;
  beforeAll(async () => {
    batched = await startStack({ emulator: { sessions: 3 }, env: { ALLOW_BATCHED_REQUESTS: "true" } });
  });
  afterAll(() => batched.close());

  it("answers each operation of the array", async () => {
    const res = await fetch(`${batched.gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ __typename }" }, { query: "{ t: __typename }" }]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ data: { __typename: "Query" } }, { data: { t: "Query" } }]);
  });
});

describe("the verdict cache", () => {
  it("keys verdicts on the variables that can change them, and only those", () => {
    const doc = parse(`
      query Q($n: Int, $ids: [ID!]!, $one: ID!, $f: Boolean!, $id: ID!, $filter: String, $m: Int) {
        sessions(first: $n, filter: $filter) { items { id scope @include(if: $f) { name } } }
        nodes(ids: $ids) { id }
        listed: nodes(ids: [$one, "s_1234567890"]) { id }
        session(id: $id) { ...F }
      }
      fragment F on Session { user { sessions(first: $m) { items { id } } } }`);
    expect(Object.fromEntries(verdictVariables(doc))).toEqual({ n: "value", ids: "length", f: "value", m: "value", one: "value" });
  });

  it("serves one verdict for every id, and a new one for every count", () => {
    const schema = buildSchema(
      `type Query { session(id: ID!): Session, sessions(first: Int, after: String): [Session] } type Session { id: ID, connections: [Int] }`,
    );
    const check = createLimitChecker({ maxDepth: 10, maxAliases: 10, maxRootFields: 10, maxCost: 100 }, 10_000).check;
    const doc = parse(
      `query($id: ID!, $n: Int, $after: String) { session(id: $id) { id } sessions(first: $n, after: $after) { connections } }`,
    );
    const op = getOperationAST(doc)!;
    // Refused for its cost (no first: 10,000 items, a read each); the same refusal object means the verdict was reused.
    const a = check(schema, doc, op, { id: "s_1111111111", after: "tok1" });
    expect(a?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "estimated cost" });
    expect(check(schema, doc, op, { id: "s_2222222222", after: "tok2" })).toBe(a);
    expect(check(schema, doc, op, { id: "s_3333333333", n: 5 })).toBeNull();
    expect(check(schema, doc, op, { id: "s_4444444444", n: 500 })).not.toBe(a);
    // A value that does not coerce is refused however the cache stands.
    expect(check(schema, doc, op, { id: { not: "an id" }, after: "tok1" })?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(check(schema, doc, op, { id: "s_1111111111", after: "tok1" })).toBe(a);
  });

  it("tells a list's length from a lone value that coerces to a list of one", () => {
    const schema = buildSchema(`type Query { nodes(ids: [ID!]!): [Session] } type Session { id: ID, connections: [Int] }`);
    const check = createLimitChecker({ maxDepth: 10, maxAliases: 10, maxRootFields: 10, maxCost: 100 }, 10_000).check;
    const doc = parse(`query($ids: [ID!]!) { nodes(ids: $ids) { connections } }`);
    const op = getOperationAST(doc)!;
    // 60 as one id is a list of one: 1 x (1 read + connections) = 2.
    expect(check(schema, doc, op, { ids: 60 })).toBeNull();
    // Sixty ids: 60 x 2 = 120, over 100, whatever the lone 60 left in the cache.
    expect(check(schema, doc, op, { ids: Array.from({ length: 60 }, (_, i) => `s_${i}`) })?.extensions).toMatchObject({
      limit: "estimated cost",
      actual: 120,
    });
  });
});
