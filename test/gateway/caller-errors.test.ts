/**
 * Errors the caller caused are reported as the caller's, even where the controller answers 500 for
 * them; a missing token says to send one; a 503 keeps its retry hint. Over HTTP and WebSocket, against
 * the emulator.
 */
import { createClient, type FormattedExecutionResult } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import { startGateway, type Gateway } from "../../src/server.js";
import { callsTo, startStack, type GqlResult, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 20, seed: 5 }, env: { REQUEST_TIMEOUT_MS: "3000", UPSTREAM_TIMEOUT_MS: "1000" } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const LIST = `query($after: String, $filter: String) { sessions(first: 5, after: $after, filter: $filter) { items { id } } }`;
const ONE = `query($id: ID!) { session(id: $id) { id } }`;

function soleError(res: GqlResult) {
  expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
  return res.body.errors![0]!;
}

/** Base58 (so the gateway's own check lets it through) but not a token the controller issued. */
const BOGUS_TOKEN = "3yQ8Zk2rTqW9mXcVbN4pLs7GhJd";

describe("a list token the controller cannot decode", () => {
  it("is answered 500 by the emulator, with the text of handlers.ParseListToken", async () => {
    const res = await fetch(`${stack.emulator.url}/v1/sessions?scope_id=global&recursive=true&list_token=${BOGUS_TOKEN}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      kind: "Internal",
      message: "handlers.ParseListToken: unknown, unknown: error #0: proto: cannot parse invalid wire-format data",
    });
  });

  it("is BAD_USER_INPUT on `after`, after one call (a 500 for it is not retried)", async () => {
    stack.emulator.clearCalls();
    const err = soleError(await stack.gql(LIST, { after: BOGUS_TOKEN }, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", upstream: { status: 500, kind: "Internal" } });
    expect(err.message).toMatch(/could not be decoded/);
    // The controller's internal text stays in the logs.
    expect(JSON.stringify(err)).not.toContain("wire-format");
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(1);
  });

  it("carries `field: after` when the controller no longer accepts a token it issued", async () => {
    const alice = stack.emulator.tokens.users[1]!;
    const first = await stack.gql(`{ sessions(first: 1) { listToken } }`, {}, { token: alice.token });
    stack.emulator.store.changeGrants(alice.userId);
    const err = soleError(await stack.gql(LIST, { after: first.body.data!.sessions.listToken }, { token: alice.token }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after", upstream: { status: 400, kind: "invalid list token" } });
  });

  it("is still UPSTREAM_ERROR when a list call with a token fails for another reason", async () => {
    const token = (await stack.gql(`{ sessions(first: 1) { listToken } }`, {}, { token: admin })).body.data!.sessions.listToken;
    stack.emulator.faults.add({
      kind: "status",
      status: 500,
      body: { kind: "Internal", message: "db.Query: pq: connection refused" },
      times: 1,
    });
    const err = soleError(await stack.gql(LIST, { after: token }, { token: admin }));
    expect(err.extensions).toEqual({ code: "UPSTREAM_ERROR", upstream: { status: 500, kind: "Internal" }, requestId: expect.any(String) });
  });
});

describe("a filter that makes go-bexpr panic", () => {
  it("is BAD_USER_INPUT on `filter`, saying what the filter did", async () => {
    const err = soleError(await stack.gql(LIST, { filter: `"/item/version" is empty` }, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter", upstream: { status: 500, kind: "Internal" } });
    expect(err.message).toContain("`is empty` on a number");
    expect(err.message).toContain("reflect: call of reflect.Value.Len on uint32 Value");
  });

  it("on a timestamp too", async () => {
    const err = soleError(await stack.gql(LIST, { filter: `"/item/created_time" is empty` }, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter" });
  });

  it("is not confused with a panic-like 500 on a call that sent no filter", async () => {
    stack.emulator.faults.add({
      kind: "status",
      status: 500,
      body: { kind: "Internal", message: "runtime error: index out of range" },
      times: 1,
    });
    const err = soleError(await stack.gql(ONE, { id: stack.emulator.store.sessions()[0]!.id }, { token: admin }));
    expect(err.extensions!.code).toBe("UPSTREAM_ERROR");
  });
});

describe("a 503 keeps its retry hint", () => {
  it("RATE_LIMITED with retryAfter when a Retry-After came with it", async () => {
    // Past the request's deadline, so the gateway does not wait it out.
    stack.emulator.faults.add({ kind: "status", status: 503, retryAfter: 9, body: "", times: 1 });
    const err = soleError(await stack.gql(LIST, {}, { token: admin }));
    expect(err.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfter: 9, upstream: { status: 503 } });
  });

  it("UPSTREAM_UNAVAILABLE without one", async () => {
    stack.emulator.faults.add({ kind: "status", status: 503, body: "", times: 3 });
    const err = soleError(await stack.gql(LIST, {}, { token: admin }));
    expect(err.extensions!.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(err.extensions).not.toHaveProperty("retryAfter");
  });
});

describe("a missing token", () => {
  it("is UNAUTHENTICATED on the default recursive listing, which the controller answers 403", async () => {
    stack.emulator.clearCalls();
    const err = soleError(await stack.gql(`{ sessions { items { id } } }`));
    expect(err.extensions).toMatchObject({ code: "UNAUTHENTICATED", upstream: { status: 403 } });
    expect(err.message).toContain("Authorization: Bearer <token>");
    expect(stack.emulator.calls.every((c) => c.authorization === undefined)).toBe(true);
  });

  it("is UNAUTHENTICATED on a read the controller answers 401", async () => {
    const err = soleError(await stack.gql(ONE, { id: stack.emulator.store.sessions()[0]!.id }));
    expect(err.extensions).toMatchObject({ code: "UNAUTHENTICATED", upstream: { status: 401 } });
    expect(err.message).toContain("Authorization: Bearer <token>");
  });

  it("but a token the controller does not know stays FORBIDDEN on that listing, naming expiry", async () => {
    const err = soleError(await stack.gql(`{ sessions { items { id } } }`, {}, { token: "at_1234567890_s1" + "x".repeat(40) }));
    expect(err.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403 } });
    expect(err.message).toMatch(/expired/);
  });

  it("and a 403 with a real token is FORBIDDEN, naming expiry", async () => {
    const [alice, bob] = stack.emulator.tokens.users;
    const bobs = stack.emulator.store.sessions().find((s) => s.user_id === bob!.userId)!;
    const err = soleError(await stack.gql(ONE, { id: bobs.id }, { token: alice!.token }));
    expect(err.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403 } });
    expect(err.message).toMatch(/expired/);
  });

  it("is UNAUTHENTICATED over WebSocket too", async () => {
    const client = createClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const events: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: `subscription { sessionsChanged(intervalMs: 60000) { removedIds } }` },
          {
            next: (r) => void events.push(r),
            error: reject,
            complete: resolve,
          },
        );
      });
      expect(events).toHaveLength(1);
      expect(events[0]!.errors![0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED", upstream: { status: 403 } });
      expect(events[0]!.errors![0]!.message).toContain("Authorization: Bearer <token>");
    } finally {
      await client.dispose();
    }
  });
});

describe("with BOUNDARY_TOKEN lent to callers without one", () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let gateway: Gateway;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 20, seed: 5 });
    // The fallback is a user's token: its refusals are that token's, not a missing token's.
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", NODE_ENV: "test", BOUNDARY_ADDR: emulator.url });
    gateway = await startGateway(config, { fallbackToken: emulator.tokens.users[0]!.token });
  });
  afterAll(async () => {
    await gateway.stop();
    await emulator.close();
  });

  it("a 403 stays FORBIDDEN", async () => {
    const [alice, bob] = emulator.tokens.users;
    const bobs = emulator.store.sessions().find((s) => s.user_id === bob!.userId && s.user_id !== alice!.userId)!;
    const res = await fetch(`${gateway.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: ONE, variables: { id: bobs.id } }),
    });
    const err = soleError({ status: res.status, headers: res.headers, body: (await res.json()) as GqlResult["body"] });
    expect(err.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403 } });
  });
});
