/**
 * The execution core's request hooks (src/execution/hooks.ts) see every operation of every transport, and
 * can refuse one before anything reaches the controller: a POST (the fast path), a GET, an automatic
 * persisted query, one body of a batch (both through Apollo Server) and a WebSocket subscription.
 */
import { createHash } from "node:crypto";
import { GraphQLError } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { OperationOutcome, OperationRequest, RequestHook } from "../../src/execution/index.js";
import { startStack, type Stack } from "../helpers/harness.js";

interface Seen {
  transport: string;
  method: string | undefined;
  operationName: string | undefined;
  operationType: string;
  persisted: boolean;
  token: string | undefined;
}

const seen: Seen[] = [];
const after: { operationName: string | undefined; codes: string[]; status: number | undefined }[] = [];

/** Refuses every operation whose name starts with `Refused`, as a guard of a later issue would. */
const guard: RequestHook = {
  name: "test guard",
  before(request: OperationRequest) {
    seen.push({
      transport: request.transport,
      method: request.method,
      operationName: request.operationName,
      operationType: request.operationType,
      persisted: request.extensions?.persistedQuery !== undefined,
      token: request.context.auth,
    });
    if (request.operationName?.startsWith("Refused")) {
      throw new GraphQLError(`Refused by the guard: ${request.operationName}.`, {
        extensions: { code: "FORBIDDEN", http: { status: 403 } },
      });
    }
  },
  after(request: OperationRequest, outcome: OperationOutcome) {
    after.push({
      operationName: request.operationName,
      codes: (outcome.errors ?? []).map((e) => String(e.extensions?.code)),
      status: outcome.status,
    });
  },
};

/** A second hook after the guard: it must never see what the guard refused. */
const second: string[] = [];
const counter: RequestHook = {
  name: "counter",
  async before(request) {
    await Promise.resolve();
    second.push(request.operationName ?? "");
  },
};

let stack: Stack;
let token: string;
let sessionId: string;
beforeAll(async () => {
  stack = await startStack({ env: { ALLOW_BATCHED_REQUESTS: "true" }, gateway: { hooks: [guard, counter] } });
  token = stack.emulator.tokens.admin.token;
  const list = await stack.gql(`{ sessions(first: 1) { items { id } } }`, {}, { token });
  sessionId = list.body.data!.sessions.items[0].id;
});
afterAll(() => stack?.close());
beforeEach(() => {
  seen.length = 0;
  after.length = 0;
  second.length = 0;
  stack.emulator.calls.length = 0;
});

const read = (name: string) => `query ${name}($id: ID!) { session(id: $id) { id status } }`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function post(body: unknown) {
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("request hooks", () => {
  it("see a POST and can refuse it before any upstream call", async () => {
    const ok = await post({ query: read("AllowedPost"), variables: { id: sessionId } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.session.id).toBe(sessionId);
    const callsForOne = stack.emulator.calls.length;
    expect(callsForOne).toBe(1);

    const refused = await post({ query: read("RefusedPost"), variables: { id: sessionId } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      errors: [{ message: "Refused by the guard: RefusedPost.", extensions: { code: "FORBIDDEN", requestId: expect.any(String) } }],
    });
    expect(stack.emulator.calls.length).toBe(callsForOne);
    expect(seen).toEqual([
      {
        transport: "http",
        method: "POST",
        operationName: "AllowedPost",
        operationType: "query",
        persisted: false,
        token: `Bearer ${token}`,
      },
      {
        transport: "http",
        method: "POST",
        operationName: "RefusedPost",
        operationType: "query",
        persisted: false,
        token: `Bearer ${token}`,
      },
    ]);
    expect(second).toEqual(["AllowedPost"]);
    // `after` runs once each answer has been written out, which may be just after the client read it.
    await expect
      .poll(() => after)
      .toEqual([
        { operationName: "AllowedPost", codes: [], status: 200 },
        { operationName: "RefusedPost", codes: ["FORBIDDEN"], status: 403 },
      ]);
  });

  it("see a GET and can refuse it", async () => {
    const get = (name: string) =>
      fetch(`${stack.gateway.url}/graphql?${new URLSearchParams({ query: read(name), variables: JSON.stringify({ id: sessionId }) })}`, {
        headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
      });
    const ok = await get("AllowedGet");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).data.session.id).toBe(sessionId);
    const refused = await get("RefusedGet");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).errors.map((e: any) => e.extensions.code)).toEqual(["FORBIDDEN"]);
    expect(stack.emulator.calls.length).toBe(1);
    expect(seen.map((s) => [s.method, s.operationName])).toEqual([
      ["GET", "AllowedGet"],
      ["GET", "RefusedGet"],
    ]);
    await expect
      .poll(() => after.map((a) => [a.operationName, a.status]))
      .toEqual([
        ["AllowedGet", 200],
        ["RefusedGet", 403],
      ]);
  });

  it("see an automatic persisted query, by hash alone once registered, and can refuse it", async () => {
    const query = read("RefusedApq");
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    // Not registered yet: Apollo asks for the text; no operation exists to hook.
    const unknown = await post({ extensions, variables: { id: sessionId } });
    expect(unknown.body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(seen).toEqual([]);
    const refused = await post({ query, extensions, variables: { id: sessionId } });
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].extensions.code).toBe("FORBIDDEN");

    const allowed = read("AllowedApq");
    const allowedExt = { persistedQuery: { version: 1, sha256Hash: sha256(allowed) } };
    expect((await post({ query: allowed, extensions: allowedExt, variables: { id: sessionId } })).status).toBe(200);
    const byHash = await post({ extensions: allowedExt, variables: { id: sessionId } });
    expect(byHash.body.data.session.id).toBe(sessionId);
    expect(seen.map((s) => [s.operationName, s.persisted])).toEqual([
      ["RefusedApq", true],
      ["AllowedApq", true],
      ["AllowedApq", true],
    ]);
    expect(stack.emulator.calls.length).toBe(2);
  });

  it("see each operation of a batch, and refuse one without the others", async () => {
    const batch = await post([
      { query: read("AllowedBatch"), variables: { id: sessionId } },
      { query: read("RefusedBatch"), variables: { id: sessionId } },
    ]);
    expect(Array.isArray(batch.body)).toBe(true);
    expect(batch.body[0].data.session.id).toBe(sessionId);
    expect(batch.body[1].errors.map((e: any) => e.extensions.code)).toEqual(["FORBIDDEN"]);
    expect(batch.body[1].data).toBeUndefined();
    expect(seen.map((s) => s.operationName).sort()).toEqual(["AllowedBatch", "RefusedBatch"]);
    expect(stack.emulator.calls.length).toBe(1);
  });

  it("see a WebSocket subscription, refuse one before its poller starts, and hear when one ends", async () => {
    const client = createClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    try {
      const run = (name: string, take: number) =>
        new Promise<{ results: { data?: unknown }[]; error?: unknown }>((resolve) => {
          const results: { data?: unknown }[] = [];
          const stop = client.subscribe(
            { query: `subscription ${name}($id: ID!) { sessionUpdated(id: $id) { id status } }`, variables: { id: sessionId } },
            {
              next: (r) => {
                results.push(r);
                if (results.length >= take) {
                  stop();
                  resolve({ results });
                }
              },
              error: (error) => resolve({ results, error }),
              complete: () => resolve({ results }),
            },
          );
        });
      const refused = await run("RefusedWs", 1);
      expect(refused.results).toEqual([]);
      expect((refused.error as any[]).map((e) => e.extensions.code)).toEqual(["FORBIDDEN"]);
      expect(stack.emulator.calls.length).toBe(0);

      const allowed = await run("AllowedWs", 1);
      expect((allowed.results[0]!.data as any).sessionUpdated.id).toBe(sessionId);
      expect(seen.map((s) => [s.transport, s.operationName, s.operationType, s.token])).toEqual([
        ["ws", "RefusedWs", "subscription", `Bearer ${token}`],
        ["ws", "AllowedWs", "subscription", `Bearer ${token}`],
      ]);
      // The refused one at once; the allowed one when the client completed it.
      await expect
        .poll(() => after.map((a) => [a.operationName, a.codes]))
        .toEqual([
          ["RefusedWs", ["FORBIDDEN"]],
          ["AllowedWs", []],
        ]);
    } finally {
      await client.dispose();
    }
  });
});
