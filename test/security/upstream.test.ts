/**
 * Upstream exhaustion: a credential undici refuses as a header value must never reach the pool (undici 7
 * keeps a pool connection for each such refused request, and once all are held every later call waits
 * forever, its abort signal ignored), and every upstream call ends by the gateway's own deadline.
 */
import net from "node:net";
import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createBoundaryClient, isValidHeaderValue } from "../../src/boundary/client.js";
import { BoundaryInvalidCredentialsError } from "../../src/boundary/errors.js";
import { isTransient } from "../../src/live/poller.js";
import { startEmulator } from "../../src/emulator/index.js";
import { startStack, type Stack } from "../helpers/harness.js";
import { expectResponsive } from "../helpers/responsive.js";

const SMALL = {
  UPSTREAM_CONNECTIONS: "2",
  REQUEST_TIMEOUT_MS: "1500",
  UPSTREAM_TIMEOUT_MS: "1500",
  SUBSCRIPTION_MIN_INTERVAL_MS: "20",
  READY_CACHE_MS: "0",
};

/** Values undici refuses as a header value (CR/LF, NUL, other controls, characters above U+00FF). */
const BAD_TOKENS = ["Bearer x\r\n", "Bearer x\ny", "Bearer \u0000", "Bearer x\u0001", "Bearer \u2028x", "Bearer x\u007f"];

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Opens a graphql-ws connection with `authorization` in connection_init, subscribes `count`
 * sessionUpdated operations (distinct intervals, so distinct pollers), and resolves with the close code. */
function attack(url: string, authorization: string, sessionId: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      on: { closed: (event) => resolve((event as { code: number }).code) },
    });
    for (let i = 0; i < count; i++) {
      client.subscribe(
        {
          query: "subscription($id: ID!, $ms: Int) { sessionUpdated(id: $id, intervalMs: $ms) { id } }",
          variables: { id: sessionId, ms: 20 + i },
        },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    }
    setTimeout(() => {
      void client.dispose();
      reject(new Error("the socket stayed open"));
    }, 3_000);
  });
}

describe("upstream exhaustion", () => {
  it("a CR/LF token in connection_init no longer wedges every request: closed 4403, no upstream call", async () => {
    stack = await startStack({ env: SMALL });
    const id = stack.emulator.store.sessions()[0]!.id;
    const before = stack.emulator.calls.length;
    // More connections and subscriptions than the pool has connections (2), as in the report (11 > 32/3).
    const codes = await Promise.all(Array.from({ length: 4 }, () => attack(stack!.gateway.url, "Bearer x\r\n", id, 11)));
    expect(codes).toEqual([4403, 4403, 4403, 4403]);
    await expectResponsive(stack.gateway.url, stack.emulator);
    // Give any poller that survived time to run (and leak) before looking again.
    await new Promise((r) => setTimeout(r, 300));
    await expectResponsive(stack.gateway.url, stack.emulator);
    const health = await fetch(`${stack.gateway.url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ready" });
    // expectResponsive made one session read and probes; the attack itself reached nothing.
    const attackCalls = stack.emulator.calls.slice(before).filter((c) => c.path.includes(id) && c.authorization?.includes("Bearer x"));
    expect(attackCalls).toHaveLength(0);
  });

  it("every token that is not a header value is refused at connection_init (4403)", async () => {
    stack = await startStack({ env: SMALL });
    const id = stack.emulator.store.sessions()[0]!.id;
    for (const token of BAD_TOKENS) {
      expect([token, await attack(stack.gateway.url, token, id, 3)]).toEqual([token, 4403]);
    }
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("the upstream funnel refuses a token that is not a header value: no call, not retried, pool unharmed", async () => {
    const emulator = await startEmulator({ port: 0, sessions: 5 });
    const client = createBoundaryClient({ baseUrl: emulator.url, timeoutMs: 1_000, connections: 2, retries: 2, retryBaseDelayMs: 1 });
    try {
      const id = emulator.store.sessions()[0]!.id;
      const before = emulator.calls.length;
      // Five times the pool's size: on undici 7 each refused request would have held a connection.
      for (let i = 0; i < 10; i++) {
        for (const token of BAD_TOKENS) {
          const err = await client.getSession(id, token).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(BoundaryInvalidCredentialsError);
          expect((err as BoundaryInvalidCredentialsError).code).toBe("BOUNDARY_INVALID_CREDENTIALS");
          // A poller stops on it, as on a 401, instead of polling again.
          expect(isTransient(err)).toBe(false);
        }
      }
      expect(emulator.calls.length).toBe(before);
      const started = performance.now();
      const session = await client.getSession(id, `Bearer ${emulator.tokens.admin.token}`);
      expect(session.id).toBe(id);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(client.health()).toMatchObject({ wedged: false, queued: 0 });
    } finally {
      await client.close();
      await emulator.close();
    }
  });

  it("a fallback token that is not a header value no longer wedges the pool: UNAUTHENTICATED, no upstream call, subscriptions end", async () => {
    // BOUNDARY_TOKEN's own check refuses whitespace only; a control character reaches the funnel.
    stack = await startStack({ env: SMALL, gateway: { fallbackToken: "x\u0001" } });
    const id = stack.emulator.store.sessions()[0]!.id;
    const before = stack.emulator.calls.length;
    for (let i = 0; i < 10; i++) {
      const res = await stack.gql("query($id: ID!) { session(id: $id) { id } }", { id });
      expect(res.status).toBe(200);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    }
    // Over WebSocket without a token (no Origin: the fallback is lent): the poller stops at once.
    const client = createClient({ url: stack.gateway.url.replace(/^http/, "ws") + "/graphql", webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const outcome = await new Promise<{ codes: unknown[]; completed: boolean }>((resolve, reject) => {
        const codes: unknown[] = [];
        const timer = setTimeout(() => reject(new Error(`the subscription kept running: ${JSON.stringify(codes)}`)), 3_000);
        client.subscribe(
          { query: "subscription($id: ID!) { sessionUpdated(id: $id, intervalMs: 20) { id } }", variables: { id } },
          {
            next: (r) => codes.push(...(r.errors ?? []).map((e) => e.extensions?.code)),
            error: (e) => {
              clearTimeout(timer);
              reject(e instanceof Error ? e : new Error(JSON.stringify(e)));
            },
            complete: () => {
              clearTimeout(timer);
              resolve({ codes, completed: true });
            },
          },
        );
      });
      expect(outcome).toEqual({ codes: ["UNAUTHENTICATED"], completed: true });
    } finally {
      await client.dispose();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.emulator.calls.length).toBe(before);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("a burst after an idle spell queues calls without being reported as a wedged pool", async () => {
    const emulator = await startEmulator({ port: 0, sessions: 5, latencyMs: 100 });
    const client = createBoundaryClient({ baseUrl: emulator.url, timeoutMs: 500, connections: 1 });
    try {
      const id = emulator.store.sessions()[0]!.id;
      const auth = `Bearer ${emulator.tokens.admin.token}`;
      // Idle for longer than the timeout: the last settled call is long past, yet nothing is stuck.
      await new Promise((r) => setTimeout(r, 600));
      const burst = Promise.all([client.getSession(id, auth), client.getSession(id, auth), client.getSession(id, auth)]);
      await new Promise((r) => setTimeout(r, 20));
      const during = client.health();
      expect(during.queued).toBeGreaterThan(0);
      expect(during.wedged).toBe(false);
      expect((await burst).map((s) => s.id)).toEqual([id, id, id]);
      expect(client.health()).toMatchObject({ wedged: false, queued: 0 });
    } finally {
      await client.close();
      await emulator.close();
    }
  });

  it("header values: RFC 9110 field-value, without leading or trailing whitespace", () => {
    expect(isValidHeaderValue("Bearer at_1234_abc")).toBe(true);
    expect(isValidHeaderValue("Bearer \u00e9")).toBe(true);
    expect(isValidHeaderValue("Bearer\ta")).toBe(true);
    expect(isValidHeaderValue("")).toBe(true);
    for (const token of BAD_TOKENS) expect(isValidHeaderValue(token)).toBe(false);
    expect(isValidHeaderValue(" Bearer a")).toBe(false);
    expect(isValidHeaderValue("Bearer a ")).toBe(false);
  });

  it("an HTTP request whose Authorization has a control character is refused by the parser and reaches nothing", async () => {
    stack = await startStack({ env: SMALL });
    const before = stack.emulator.calls.length;
    const { port } = new URL(stack.gateway.url);
    for (let i = 0; i < 10; i++) {
      const status = await new Promise<string>((resolve, reject) => {
        const body = JSON.stringify({ query: "{ sessions(first: 1) { nodes { id } } }" });
        const socket = net.connect(Number(port), "127.0.0.1", () =>
          socket.end(
            `POST /graphql HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer x\u0001\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          ),
        );
        let data = "";
        socket.on("data", (c) => (data += c));
        socket.on("close", () => resolve(data.split("\r\n")[0]!));
        socket.on("error", reject);
      });
      expect(status).toBe("HTTP/1.1 400 Bad Request");
    }
    expect(stack.emulator.calls.length).toBe(before);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("an unanswering controller: the request fails UPSTREAM_TIMEOUT near REQUEST_TIMEOUT_MS and /readyz answers 503 within its bound", async () => {
    // Accepts connections and never answers a byte.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    stack = await startStack({
      env: {
        UPSTREAM_CONNECTIONS: "1",
        REQUEST_TIMEOUT_MS: "800",
        UPSTREAM_TIMEOUT_MS: "800",
        UPSTREAM_RETRIES: "0",
        READY_CACHE_MS: "0",
        BOUNDARY_ADDR: `http://127.0.0.1:${port}`,
      },
    });
    try {
      const started = performance.now();
      // The one pool connection is taken by the first request; the readiness probe queues behind it.
      const query = stack.gql("query($id: ID!) { session(id: $id) { id } }", { id: "s_1234567890" }, { token: "at_1_x" });
      await new Promise((r) => setTimeout(r, 50));
      const readyStarted = performance.now();
      const ready = await fetch(`${stack.gateway.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      const readyMs = performance.now() - readyStarted;
      expect(ready.status).toBe(503);
      expect((await ready.json()) as unknown).toMatchObject({ status: "unavailable", reason: "BOUNDARY_TIMEOUT" });
      // The probe's own bound (UPSTREAM_TIMEOUT_MS), not that plus the wait for a connection.
      expect(readyMs).toBeLessThan(800 + 400);
      const res = await query;
      const elapsed = performance.now() - started;
      expect(res.body.errors?.[0]?.extensions?.code).toBe("UPSTREAM_TIMEOUT");
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(800 + 700);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
