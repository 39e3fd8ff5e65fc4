import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startGateway } from "../../src/server.js";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 30, seed: 2 }, env: { UPSTREAM_TIMEOUT_MS: "400", REQUEST_TIMEOUT_MS: "3000" } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const ONE = `query One($id: ID!) { session(id: $id) { id status } }`;
const anyId = () => stack.emulator.store.sessions()[0]!.id;

/** The one error of a response whose only field failed, after checking nothing leaked into it. */
function soleError(res: Awaited<ReturnType<Stack["gql"]>>) {
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack frames
  expect(text).not.toContain("stacktrace");
  for (const t of [stack.emulator.tokens.admin, ...stack.emulator.tokens.users]) expect(text).not.toContain(t.token);
  expect(res.body.errors).toHaveLength(1);
  return res.body.errors![0]!;
}

describe("errors carry a stable extensions.code", () => {
  it("UNAUTHENTICATED without a token (the controller's 401)", async () => {
    const err = soleError(await stack.gql(ONE, { id: anyId() }));
    expect(err.extensions).toMatchObject({ code: "UNAUTHENTICATED", upstream: { status: 401, kind: "Unauthenticated" } });
  });

  it("UNAUTHENTICATED with a malformed token, which the controller treats as anonymous", async () => {
    const err = soleError(await stack.gql(ONE, { id: anyId() }, { token: "at_nope" }));
    expect(err.extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("FORBIDDEN on another user's session", async () => {
    const [alice, bob] = stack.emulator.tokens.users;
    const bobs = stack.emulator.store.sessions().find((s) => s.user_id === bob!.userId)!;
    const err = soleError(await stack.gql(ONE, { id: bobs.id }, { token: alice!.token }));
    expect(err.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403, kind: "PermissionDenied" } });
    expect(err.path).toEqual(["session"]);
  });

  it("NOT_FOUND for an unknown session", async () => {
    const err = soleError(await stack.gql(ONE, { id: "s_zzzzzzzzzz" }, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "NOT_FOUND", upstream: { status: 404 } });
  });

  it("BAD_USER_INPUT for a malformed list token, before any call", async () => {
    stack.emulator.clearCalls();
    const err = soleError(await stack.gql(`{ sessions(first: 1, after: "not a token!") { items { id } } }`, {}, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("BAD_USER_INPUT for a list token the controller no longer accepts (grants changed)", async () => {
    const [alice] = stack.emulator.tokens.users;
    const first = await stack.gql(`{ sessions(first: 1) { listToken } }`, {}, { token: alice!.token });
    stack.emulator.store.changeGrants(alice!.userId);
    const err = soleError(
      await stack.gql(
        `{ sessions(first: 1, after: "${first.body.data!.sessions.listToken}") { items { id } } }`,
        {},
        { token: alice!.token },
      ),
    );
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", upstream: { status: 400, kind: "invalid list token" } });
  });

  it("BAD_USER_INPUT for ids that would steer the upstream path, with no call made", async () => {
    stack.emulator.clearCalls();
    for (const id of ["s_1/../../scopes/global", "s_1%2F..%2Fx", "s_abc:cancel", "../v1/scopes", "s_ab?x=1", "p_1234567890", "", "s_é"]) {
      const err = soleError(await stack.gql(ONE, { id }, { token: admin }));
      expect(err.extensions, id).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    }
    for (const scopeId of ["global/../sessions", "s_1234567890", "o_1/x"]) {
      const err = soleError(
        await stack.gql(`query($s: ID) { sessions(scopeId: $s, first: 1) { items { id } } }`, { s: scopeId }, { token: admin }),
      );
      expect(err.extensions, scopeId).toMatchObject({ code: "BAD_USER_INPUT", field: "scopeId" });
    }
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("RATE_LIMITED with retryAfter on a 429 whose Retry-After ends past the request's deadline", async () => {
    stack.emulator.faults.add({ kind: "status", status: 429, retryAfter: 7, times: 1 });
    const err = soleError(await stack.gql(ONE, { id: anyId() }, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfter: 7, upstream: { status: 429 } });
  });

  it("UPSTREAM_ERROR on a controller 500, without the controller's internal message", async () => {
    stack.emulator.faults.add({ kind: "status", status: 500, body: { kind: "Internal", message: "pq: secret internals" }, times: 1 });
    const res = await stack.gql(ONE, { id: anyId() }, { token: admin });
    const err = soleError(res);
    expect(err.extensions).toEqual({ code: "UPSTREAM_ERROR", upstream: { status: 500, kind: "Internal" }, requestId: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain("secret internals");
  });

  it("UPSTREAM_ERROR on a body that is not JSON", async () => {
    stack.emulator.faults.add({ kind: "malformed", times: 1 });
    const err = soleError(await stack.gql(ONE, { id: anyId() }, { token: admin }));
    expect(err.extensions!.code).toBe("UPSTREAM_ERROR");
  });

  it("UPSTREAM_UNAVAILABLE when the connection is reset on every attempt", async () => {
    stack.emulator.faults.add({ kind: "reset", times: 3 });
    const err = soleError(await stack.gql(ONE, { id: anyId() }, { token: admin }));
    expect(err.extensions!.code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("UPSTREAM_TIMEOUT when the controller stalls past UPSTREAM_TIMEOUT_MS", async () => {
    stack.emulator.faults.add({ kind: "stall", times: 1 });
    const err = soleError(await stack.gql(ONE, { id: anyId() }, { token: admin }));
    expect(err.extensions!.code).toBe("UPSTREAM_TIMEOUT");
  });

  it("UPSTREAM_UNAVAILABLE when nothing listens at BOUNDARY_ADDR", async () => {
    const gw = await startGateway(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", BOUNDARY_ADDR: "http://127.0.0.1:1" }));
    try {
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: `{ session(id: "s_1234567890") { id } }` }),
      });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      await gw.stop();
    }
  });

  it("a failing nested field nulls only itself, with its error at its path", async () => {
    const limited = stack.emulator.tokens.scopeLimited.token;
    const res = await stack.gql(
      `{ sessions(includeTerminated: true, first: 100) { items { id scope { id name parent { id name } } } } }`,
      {},
      { token: limited },
    );
    const items = res.body.data!.sessions.items as { id: string; scope: { id: string; parent: { id: string } | null } }[];
    expect(items.length).toBe(30);
    const nulled = items.filter((s) => s.scope.parent === null);
    const kept = items.filter((s) => s.scope.parent !== null);
    expect(nulled.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect(res.body.errors!.length).toBe(nulled.length);
    for (const err of res.body.errors!) {
      expect(err.extensions!.code).toBe("FORBIDDEN");
      expect(err.path!.slice(0, 2)).toEqual(["sessions", "items"]);
      expect(err.path!.slice(3)).toEqual(["scope", "parent"]);
    }
  });

  it("validation errors keep GraphQL's own codes and HTTP 400", async () => {
    const res = await stack.gql(`{ session(id: "s_1") { nope } }`, {}, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const parse = await stack.gql(`{ session(`, {}, { token: admin });
    expect(parse.body.errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    const vars = await stack.gql(`query($f: Int) { sessions(first: $f) { hasNextPage } }`, { f: "ten" }, { token: admin });
    expect(vars.status).toBe(400);
    expect(vars.body.errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
  });
});
