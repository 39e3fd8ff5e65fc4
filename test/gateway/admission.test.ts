/** Admission by cost: a full in-flight budget makes the next heavy operation wait, then OVERLOADED. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

const LIST = "{ sessions(first: 20) { items { id } } }"; // estimated cost 1
const UPDATED = "subscription ($id: ID!) { sessionUpdated(id: $id) { id status } }"; // estimated cost 1

type Sink = { next: (v: unknown) => void; error: (e: unknown) => void; complete: () => void };

/** The first thing a subscription delivers: an event, an error, or its end. */
function firstOutcome(start: (sink: Sink) => () => void): Promise<{ kind: "next" | "error" | "complete"; value?: unknown }> {
  return new Promise((resolve) => {
    const stop = start({
      next: (value) => {
        stop();
        resolve({ kind: "next", value });
      },
      error: (value) => resolve({ kind: "error", value }),
      complete: () => resolve({ kind: "complete" }),
    });
  });
}

const codesOf = (errors: unknown) =>
  Array.isArray(errors) ? errors.map((e: { extensions?: { code?: string } }) => e.extensions?.code) : errors;

describe("admission by cost", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Every upstream answer takes 1.5 s, so two listings hold the whole budget (2) well past the 200 ms wait.
    stack = await startStack({
      emulator: { latencyMs: 1500 },
      env: { MAX_INFLIGHT_COST: "2", ADMISSION_CHEAP_COST: "0", ADMISSION_TIMEOUT_MS: "200" },
    });
  });
  afterAll(() => stack.close());

  it("refuses a subscription that does not fit with OVERLOADED, over WebSocket and over SSE", async () => {
    const token = stack.emulator.tokens.admin.token;
    stack.emulator.clearCalls();
    const held = [stack.gql(LIST, undefined, { token }), stack.gql(LIST, undefined, { token })];
    while (callsTo(stack.emulator, "GET", /\/v1\/sessions/).length < 2) await new Promise((r) => setTimeout(r, 10));
    const variables = { id: stack.emulator.store.sessions()[0]!.id };

    const ws = createWsClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const sse = createSseClient({
      url: `${stack.gateway.url}/graphql/stream`,
      retryAttempts: 0,
      headers: { authorization: `Bearer ${token}` },
    });
    try {
      const overWs = await firstOutcome((sink) => ws.subscribe({ query: UPDATED, variables }, sink));
      expect(overWs).toMatchObject({ kind: "error" });
      expect(codesOf(overWs.value)).toEqual(["OVERLOADED"]);
      const overSse = await firstOutcome((sink) => sse.subscribe({ query: UPDATED, variables }, sink));
      expect(codesOf(overSse.kind === "next" ? (overSse.value as { errors?: unknown }).errors : overSse.value)).toEqual(["OVERLOADED"]);
    } finally {
      await ws.dispose();
      sse.dispose();
    }
    // Refused before any upstream call: only the two listings reached the controller.
    expect(stack.emulator.calls).toHaveLength(2);
    expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200]);
  });

  it("refuses the operation that does not fit with 503, Retry-After and OVERLOADED, makes no upstream call for it, and admits later ones once answers are written", async () => {
    const token = stack.emulator.tokens.admin.token;
    stack.emulator.clearCalls();
    const held = [stack.gql(LIST, undefined, { token }), stack.gql(LIST, undefined, { token })];
    // Let both be admitted and reach the emulator first.
    while (callsTo(stack.emulator, "GET", /\/v1\/sessions/).length < 2) await new Promise((r) => setTimeout(r, 10));
    const refused = await stack.gql(LIST, undefined, { token });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("OVERLOADED");
    expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBe(1);
    expect(refused.headers.get("retry-after")).toBe("1");
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(callsTo(stack.emulator, "GET", /\/v1\/sessions/)).toHaveLength(2);

    const later = await stack.gql(LIST, undefined, { token });
    expect(later.status).toBe(200);
    expect(later.body.errors).toBeUndefined();
    expect(callsTo(stack.emulator, "GET", /\/v1\/sessions/)).toHaveLength(3);
  });
});

/** Operations waiting for admission in `lane`, from /metrics. */
async function queued(stack: Stack, lane: "cheap" | "heavy"): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`gateway_admission_queue_length{lane="${lane}"}`));
  return Number(line?.split(" ")[1] ?? NaN);
}

async function inflight(stack: Stack, lane: "cheap" | "heavy"): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`gateway_admission_inflight_cost{lane="${lane}"}`));
  return Number(line?.split(" ")[1] ?? NaN);
}

const until = async (check: () => boolean | Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
};

describe("admission lanes and shares", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Nothing times out while these tests wait; each test slows the listings (only them) itself.
    stack = await startStack({ env: { MAX_INFLIGHT_COST: "4", ADMISSION_CHEAP_COST: "1", ADMISSION_TIMEOUT_MS: "20000" } });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.emulator.faults.clear();
    stack.emulator.clearCalls();
    // Every listing call takes 1 s; reads of one session answer at once.
    stack.emulator.faults.add({ kind: "latency", ms: 1000, times: 100, match: /^GET \/v1\/sessions$/ });
  });

  it("answers a cheap session(id) while heavy operations are queued, before any of them runs", async () => {
    const token = stack.emulator.tokens.admin.token;
    const sessionId = stack.emulator.store.sessions()[0]!.id;
    const listings = () => callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    // Cost 4 each (one unit per upstream page of 1,000): one fills the heavy budget.
    const HEAVY = "{ sessions(first: 4000) { items { id } } }";
    const heavy = [stack.gql(HEAVY, undefined, { token })];
    await until(() => listings().length === 1);
    heavy.push(stack.gql(HEAVY, undefined, { token }), stack.gql(HEAVY, undefined, { token }));
    await until(async () => (await queued(stack, "heavy")) === 2);

    const cheap = await stack.gql("query ($id: ID!) { session(id: $id) { id status } }", { id: sessionId }, { token });
    expect(cheap.status).toBe(200);
    expect(cheap.body.data?.session).toMatchObject({ id: sessionId });
    // The heavy ones behind the first are still waiting: the cheap read did not queue behind them.
    expect(listings()).toHaveLength(1);
    expect(await queued(stack, "heavy")).toBe(2);

    expect((await Promise.all(heavy)).map((a) => a.status)).toEqual([200, 200, 200]);
    expect(listings()).toHaveLength(3);
  }, 30_000);

  it("holds one token to half of the heavy budget while another waits: the other is admitted first", async () => {
    const a = stack.emulator.tokens.admin.token;
    const b = stack.emulator.tokens.scopeLimited.token;
    const listings = () => callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    const LIST = "{ sessions(first: 2000) { items { id } } }"; // cost 2: heavy, two fill the budget
    // Token A takes the whole budget while nobody waits, then queues two more; B queues after them.
    const answers = [stack.gql(LIST, undefined, { token: a }), stack.gql(LIST, undefined, { token: a })];
    await until(() => listings().length === 2);
    answers.push(stack.gql(LIST, undefined, { token: a }), stack.gql(LIST, undefined, { token: a }));
    await until(async () => (await queued(stack, "heavy")) === 2);
    answers.push(stack.gql(LIST, undefined, { token: b }));
    await until(async () => (await queued(stack, "heavy")) === 3);

    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // When A's first answer gave its share back, A still held half the budget: B went next, ahead of
    // A's earlier-queued operations (first come, first served would have run both of A's first).
    expect(listings().map((c) => (c.authorization === `Bearer ${b}` ? "B" : "A"))).toEqual(["A", "A", "B", "A", "A"]);
  }, 30_000);

  it("gives back what an SSE operation took when the client cancelled it while it waited for admission", async () => {
    const token = stack.emulator.tokens.admin.token;
    const auth = { authorization: `Bearer ${token}` };
    const stream = `${stack.gateway.url}/graphql/stream`;
    // Single-connection mode: the stream is reserved, and operations come by POST with an operation id.
    const reserved = await fetch(stream, { method: "PUT", headers: auth });
    expect(reserved.status).toBe(201);
    const streamHeaders = { ...auth, "x-graphql-event-stream-token": await reserved.text() };
    const heavy = stack.gql("{ sessions(first: 4000) { items { id } } }", undefined, { token });
    await until(() => callsTo(stack.emulator, "GET", /^\/v1\/sessions$/).length === 1);
    // Costlier than the whole budget: it waits until nothing else runs in the heavy lane.
    const post = fetch(stream, {
      method: "POST",
      headers: { ...streamHeaders, "content-type": "application/json" },
      body: JSON.stringify({
        query: 'subscription { sessionsChanged(scopeId: "global", recursive: true) { removedIds } }',
        extensions: { operationId: "op1" },
      }),
    });
    await until(async () => (await queued(stack, "heavy")) === 1);
    const cancelled = await fetch(`${stream}?operationId=op1`, { method: "DELETE", headers: streamHeaders });
    expect(cancelled.status).toBe(200);
    expect((await heavy).status).toBe(200);
    // Admitted once the listing ended, then dropped because it was cancelled: nothing may stay held.
    expect((await post).status).toBe(204);
    await expect.poll(() => inflight(stack, "heavy")).toBe(0);
  }, 30_000);
});
