/**
 * Attacks on the query limits themselves: documents whose measuring, parsing, compiling or caching
 * costs more than the limits were meant to save. Each is refused quickly, with a stable code, on every
 * path (POST and its fast lane, GET, WebSocket), and the gateway keeps serving others meanwhile.
 */
import { buildSchema } from "graphql";
import { createClient, type FormattedExecutionResult } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createPreparedCache, isRequestErrors } from "../../src/execution/prepared.js";
import { startStack, type Stack } from "../helpers/harness.js";
import { expectResponsive } from "../helpers/responsive.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 5, seed: 11 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

/** 22 fragments, each spreading the next twice: 0.9 KB of text, 2^22 paths when spreads are expanded. */
function fanOut(on: string, prefix = ""): string {
  const n = 22;
  let text = "";
  for (let i = 0; i < n; i++) {
    text +=
      i === n - 1 ? `fragment F${i} on ${on} { id }\n` : `fragment F${i} on ${on} { parent { ...F${i + 1} } p: parent { ...F${i + 1} } }\n`;
  }
  return prefix + text;
}

/** Runs `attack` while probing /healthz; both must finish within `withinMs`. */
async function whileProbing<T>(attack: () => Promise<T>, withinMs = 1_000): Promise<T> {
  const started = performance.now();
  const [result, health] = await Promise.all([
    attack(),
    fetch(`${stack.gateway.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(async (res) => {
      await res.body?.cancel();
      return { status: res.status, ms: performance.now() - started };
    }),
  ]);
  expect(health.status).toBe(200);
  expect(health.ms).toBeLessThan(withinMs);
  expect(performance.now() - started).toBeLessThan(withinMs);
  return result;
}

function subscribeOnce(query: string, variables: Record<string, unknown> = {}) {
  const client = createClient({
    url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${admin}` },
    retryAttempts: 0,
  });
  return new Promise<{ errors?: unknown; closeCode?: number; next?: FormattedExecutionResult }>((resolve) => {
    client.subscribe(
      { query, variables },
      {
        next: (next) => resolve({ next: next as FormattedExecutionResult }),
        error: (error) => resolve(Array.isArray(error) ? { errors: error } : { closeCode: (error as { code?: number }).code }),
        complete: () => resolve({}),
      },
    );
  }).finally(() => client.dispose());
}

describe("fragment fan-out", () => {
  const query = fanOut("Scope", `{ scope(id: "global") { ...F0 } }\n`);

  it("is refused as QUERY_TOO_COMPLEX over POST in well under a second, /healthz answering meanwhile", async () => {
    expect(query.length).toBeLessThan(1_500);
    const res = await whileProbing(() => stack.gql(query, {}, { token: admin }));
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth", max: 10, actual: 23 });
    await expectResponsive(stack.gateway.url, stack.emulator);
  }, 10_000);

  it("is refused as QUERY_TOO_COMPLEX over GET", async () => {
    const url = `${stack.gateway.url}/graphql?query=${encodeURIComponent(query)}`;
    const res = await whileProbing(() =>
      fetch(url, { headers: { authorization: `Bearer ${admin}`, "apollo-require-preflight": "true" } }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as any,
      })),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth", actual: 23 });
    await expectResponsive(stack.gateway.url, stack.emulator);
  }, 10_000);

  it("is refused over WebSocket with an error for that subscription, not a 4500 close", async () => {
    const id = stack.emulator.store.sessions()[0]!.id;
    const sub = fanOut("Scope", `subscription($id: ID!) { sessionUpdated(id: $id, intervalMs: 500) { scope { ...F0 } } }\n`);
    const result = await whileProbing(() => subscribeOnce(sub, { id }));
    expect(result.closeCode).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect((result.errors as any[])[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth", actual: 24 });
    await expectResponsive(stack.gateway.url, stack.emulator);
  }, 10_000);

  it("that stays shallow and alias-free is refused before the cost walk expands it", async () => {
    // 2^21 `__typename`s once expanded: no depth, alias or root field to refuse it by, only the expansion.
    let text = `{ ...Q0 }\n`;
    for (let i = 0; i < 22; i++)
      text += i === 21 ? `fragment Q${i} on Query { __typename }\n` : `fragment Q${i} on Query { ...Q${i + 1} ...Q${i + 1} }\n`;
    const res = await whileProbing(() => stack.gql(text, {}, { token: admin }));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions).toMatchObject({
      code: "QUERY_TOO_COMPLEX",
      limit: "expanded field count",
      max: 20_000,
      actual: 2 ** 21,
    });
    await expectResponsive(stack.gateway.url, stack.emulator);
  }, 10_000);
});

describe("token limit", () => {
  const query = `{ ${"__typename ".repeat(6_000)}}`;

  it("refuses a query of too many tokens over POST with GRAPHQL_PARSE_FAILED and a 400", async () => {
    const res = await stack.gql(query, {}, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(res.body.errors![0]!.message).toBe("Syntax Error: Document contains more that 5000 tokens. Parsing aborted.");
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("refuses a subscription of too many tokens over WebSocket with GRAPHQL_PARSE_FAILED", async () => {
    const result = await subscribeOnce(`subscription { ${"__typename ".repeat(6_000)}}`);
    expect(result.closeCode).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect((result.errors as any[])[0]).toMatchObject({
      message: "Syntax Error: Document contains more that 5000 tokens. Parsing aborted.",
      extensions: { code: "GRAPHQL_PARSE_FAILED" },
    });
    await expectResponsive(stack.gateway.url, stack.emulator);
  });
});

describe("__typename aliases", () => {
  it("count toward MAX_ALIASES", async () => {
    const res = await stack.gql(`{ ${Array.from({ length: 31 }, (_, i) => `t${i}: __typename`).join(" ")} }`, {}, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "alias count", max: 30, actual: 31 });
    const ok = await stack.gql(`{ ${Array.from({ length: 30 }, (_, i) => `t${i}: __typename`).join(" ")} }`, {}, { token: admin });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body.data!)).toHaveLength(30);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });
});

describe("a depth-1,000 query", () => {
  it("is refused before it is compiled: four at once leave /healthz answering within a second", async () => {
    const chain = (n: number) => `{ scope(id: "global") { ${"parent { ".repeat(n)}id${" }".repeat(n)} } }`;
    const results = await whileProbing(() => Promise.all([996, 997, 998, 999].map((n) => stack.gql(chain(n), {}, { token: admin }))));
    expect(results.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(results.map((r) => r.body.errors![0]!.extensions)).toEqual(
      [998, 999, 1000, 1001].map((actual) => expect.objectContaining({ code: "QUERY_TOO_COMPLEX", limit: "depth", max: 10, actual })),
    );
    await expectResponsive(stack.gateway.url, stack.emulator);
  }, 10_000);
});

describe("the prepared-operation cache", () => {
  it("stays within its byte budget however many distinct large queries arrive", () => {
    const schema = buildSchema(`type Query { a(s: String): Int }`);
    const budget = 1024 * 1024;
    const lane = createPreparedCache(schema, { maxCacheBytes: budget, maxTokens: 5_000 });
    // 200 distinct 12 KB queries: about 120 MB by the cache's own estimate if kept by count alone.
    for (let i = 0; i < 200; i++) {
      const prepared = lane.prepare(`{ a(s: "${"x".repeat(12_000)}${i}") }`, undefined);
      expect(isRequestErrors(prepared)).toBe(false);
      expect(lane.bytes).toBeLessThanOrEqual(budget);
    }
    expect(lane.bytes).toBeGreaterThan(budget / 2);
    expect(lane.size).toBeGreaterThan(0);
    expect(lane.size).toBeLessThan(200);
  });
});
