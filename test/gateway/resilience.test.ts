import { createClient } from "graphql-sse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { loadConfig } from "../../src/config.js";
import { startGateway } from "../../src/server.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 20, seed: 12 }, env: { UPSTREAM_TIMEOUT_MS: "300", REQUEST_TIMEOUT_MS: "5000" } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const ONE = `query One($id: ID!) { session(id: $id) { id status } }`;
/** A gateway of its own on `boundaryAddr`, for settings the shared stack does not have. */
const gatewayOn = (boundaryAddr: string, env: Record<string, string>) =>
  startGateway(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", BOUNDARY_ADDR: boundaryAddr, ...env }));
const sessionId = () => stack.emulator.store.sessions().find((s) => s.status === "active")!.id;

describe("upstream resilience", () => {
  it("retries a read after a connection reset and answers", async () => {
    const id = sessionId();
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "reset", times: 1 });
    const res = await stack.gql(ONE, { id }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.session.id).toBe(id);
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions\//).map((c) => c.status)).toEqual([0, 200]);
  });

  it("retries a read after 503 twice and answers on the third attempt", async () => {
    const id = sessionId();
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "status", status: 503, times: 2 });
    const res = await stack.gql(ONE, { id }, { token: admin });
    expect(res.body.data!.session.id).toBe(id);
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions\//).map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it("gives up after two retries with the last failure", async () => {
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "status", status: 502, times: 3 });
    const res = await stack.gql(ONE, { id: sessionId() }, { token: admin });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "UPSTREAM_ERROR", upstream: { status: 502 } });
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions\//)).toHaveLength(3);
  });

  it("honours Retry-After on 429 before retrying", async () => {
    const id = sessionId();
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "status", status: 429, retryAfter: 1, times: 1 });
    const res = await stack.gql(ONE, { id }, { token: admin });
    expect(res.body.data!.session.id).toBe(id);
    const [first, second] = callsTo(stack.emulator, "GET", /^\/v1\/sessions\//);
    expect(first!.status).toBe(429);
    expect(second!.status).toBe(200);
    expect(second!.start - first!.end).toBeGreaterThanOrEqual(990);
  });

  it("never retries a cancel: a reset is reported and the session is untouched", async () => {
    const s = stack.emulator.store.sessions().find((x) => x.status === "active")!;
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "reset", times: 1, match: /:cancel$/ });
    const res = await stack.gql(`mutation { cancelSession(id: "${s.id}", version: ${s.version}) { id } }`, {}, { token: admin });
    expect(res.body.errors![0]!.extensions!.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(callsTo(stack.emulator, "POST", /:cancel$/)).toHaveLength(1);
    expect(stack.emulator.store.session(s.id)!.status).toBe("active");
  });

  it("reports a slow controller as UPSTREAM_TIMEOUT after one attempt, within the deadline", async () => {
    stack.emulator.clearCalls();
    stack.emulator.faults.add({ kind: "latency", ms: 1_500, times: 1 });
    const started = Date.now();
    const res = await stack.gql(ONE, { id: sessionId() }, { token: admin });
    expect(res.body.errors![0]!.extensions!.code).toBe("UPSTREAM_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("stops all upstream work at REQUEST_TIMEOUT_MS, retries included", async () => {
    const gw = await gatewayOn(stack.emulator.url, { REQUEST_TIMEOUT_MS: "400", UPSTREAM_TIMEOUT_MS: "5000" });
    try {
      stack.emulator.faults.add({ kind: "stall", times: 1 });
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: `{ session(id: "${sessionId()}") { id } }` }),
      });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe("UPSTREAM_TIMEOUT");
    } finally {
      await gw.stop();
    }
  });
  it("holds a query sent over SSE to REQUEST_TIMEOUT_MS too, as over HTTP", async () => {
    const gw = await gatewayOn(stack.emulator.url, { REQUEST_TIMEOUT_MS: "400", UPSTREAM_TIMEOUT_MS: "5000" });
    const client = createClient({
      url: `${gw.url}/graphql/stream`,
      singleConnection: false,
      retryAttempts: 0,
      headers: { authorization: `Bearer ${admin}` },
    });
    try {
      stack.emulator.faults.add({ kind: "stall", times: 1 });
      const started = Date.now();
      const results: { errors?: readonly { extensions?: Record<string, unknown> }[] }[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: `{ session(id: "${sessionId()}") { id } }` },
          { next: (r) => results.push(r as (typeof results)[number]), error: reject, complete: resolve },
        );
      });
      expect(results.map((r) => r.errors?.map((e) => e.extensions?.code))).toEqual([["UPSTREAM_TIMEOUT"]]);
      // Without the deadline the stalled call would run to UPSTREAM_TIMEOUT_MS (5 s).
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      client.dispose();
      await gw.stop();
    }
  });
});

describe("controller down, then back", () => {
  it("answers UPSTREAM_UNAVAILABLE and /readyz 503 while down, and recovers without a restart", async () => {
    let emulator = await startEmulator({ port: 0, sessions: 5, seed: 1 });
    const port = Number(new URL(emulator.url).port);
    const token = emulator.tokens.admin.token;
    const gw = await gatewayOn(emulator.url, { READY_CACHE_MS: "0", UPSTREAM_RETRIES: "0" });
    const query = async () => {
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ sessions(first: 1) { items { id } } }` }),
      });
      return (await res.json()) as { data: { sessions: { items: unknown[] } } | null; errors?: { extensions: { code: string } }[] };
    };
    try {
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      expect((await query()).data!.sessions.items).toHaveLength(1);
      await emulator.close();
      expect((await query()).errors![0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      const down = await fetch(`${gw.url}/readyz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { status: string }).status).toBe("unavailable");
      emulator = await startEmulator({ port, sessions: 5, seed: 1 });
      expect((await query()).data!.sessions.items).toHaveLength(1);
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    } finally {
      await gw.stop();
      await emulator.close();
    }
  });

  it("caches the readiness probe for READY_CACHE_MS", async () => {
    const emulator = await startEmulator({ port: 0, sessions: 1 });
    const gw = await gatewayOn(emulator.url, { READY_CACHE_MS: "60000" });
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      expect(emulator.calls).toHaveLength(1);
    } finally {
      await gw.stop();
      await emulator.close();
    }
  });
});
