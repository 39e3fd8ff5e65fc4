/**
 * The gateway's own quota of list calls (UPSTREAM_LIST_BUDGET): shared by queries and pollers, pollers
 * yielding first, refused queries told when to retry, and the controller's RateLimit headers heeded
 * before it answers 429.
 */
import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

const LIST = `{ sessions(first: 5) { items { id } } }`;
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function metric(s: Stack, name: string): Promise<string[]> {
  const text = await fetch(`${s.gateway.url}/metrics`).then((r) => r.text());
  return text.split("\n").filter((l) => l.startsWith(name));
}

describe("the list budget", () => {
  it("refuses a query with RATE_LIMITED and retryAfter once the budget is spent, without calling the controller", async () => {
    stack = await startStack({ env: { UPSTREAM_LIST_BUDGET: "3" } });
    const admin = stack.emulator.tokens.admin.token;
    for (let i = 0; i < 3; i++) expect((await stack.gql(LIST, {}, { token: admin })).body.errors).toBeUndefined();
    const refused = await stack.gql(LIST, {}, { token: admin });
    const ext = refused.body.errors![0]!.extensions!;
    expect(ext.code).toBe("RATE_LIMITED");
    expect(ext.limit).toBe("UPSTREAM_LIST_BUDGET");
    expect(ext.retryAfter).toBeGreaterThanOrEqual(1);
    expect(ext.retryAfter).toBeLessThanOrEqual(30);
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(3);
    expect(await metric(stack, "boundary_list_budget_used")).toEqual(["boundary_list_budget_used 3"]);
    expect(await metric(stack, "boundary_list_budget_limit")).toEqual(["boundary_list_budget_limit 3"]);
    expect(await metric(stack, "boundary_list_budget_refused_total")).toContain('boundary_list_budget_refused_total{lane="query"} 1');
  });

  it("stretches a poller's interval to its share and keeps the rest for queries", async () => {
    // 4 calls per 30 s: pollers may take 2, so one poller polls every 15 s instead of every 50 ms.
    stack = await startStack({ env: { UPSTREAM_LIST_BUDGET: "4", SUBSCRIPTION_MIN_INTERVAL_MS: "20" } });
    const s = stack;
    const admin = s.emulator.tokens.admin.token;
    const client = createClient({
      url: `${s.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin}` },
      retryAttempts: 0,
      lazy: true,
    });
    const events: unknown[] = [];
    const dispose = client.subscribe(
      { query: `subscription { sessionsChanged(intervalMs: 50) { items { id } } }` },
      { next: (r) => events.push(r), error: () => {}, complete: () => {} },
    );
    try {
      const until = Date.now() + 5000;
      while (events.length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(events).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
      // At the asked 50 ms there would be about ten polls by now.
      expect(callsTo(s.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(1);
      for (let i = 0; i < 3; i++) expect((await s.gql(LIST, {}, { token: admin })).body.errors).toBeUndefined();
      const refused = await s.gql(LIST, {}, { token: admin });
      expect(refused.body.errors![0]!.extensions!.code).toBe("RATE_LIMITED");
    } finally {
      dispose();
      await client.dispose();
    }
  });

  it("stops before the controller's own quota answers 429, reading its RateLimit headers", async () => {
    stack = await startStack({ emulator: { rateLimit: { listPerIp: 10, listTotal: 10 } } });
    const admin = stack.emulator.tokens.admin.token;
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++)
      codes.push((await stack.gql(LIST, {}, { token: admin })).body.errors?.[0]?.extensions?.code as string | undefined);
    const calls = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    // The controller allowed 10; the gateway stopped at one left, and none of its calls met a 429.
    expect(calls).toHaveLength(9);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(codes.slice(0, 9)).toEqual(Array(9).fill(undefined));
    expect(codes.slice(9)).toEqual(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
  });
});
