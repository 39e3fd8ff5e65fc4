import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";
import { captureLogs } from "../helpers/logs.js";

/** Every log line the gateway writes, parsed. */
const logs = captureLogs();
const { lines, raw } = logs;

let stack: Stack;
let admin: string;

beforeAll(async () => {
  // The gateway's own logger (redaction included), at the most verbose level, written to memory.
  stack = await startStack({ emulator: { sessions: 12, seed: 21 }, gateway: { logger: logs.logger("trace") } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

async function scrape(): Promise<string> {
  const res = await fetch(`${stack.gateway.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1], p[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("metrics", () => {
  it("counts a known request, its upstream calls, its loader batches and error codes", async () => {
    const id = stack.emulator.store.sessions()[0]!.id;
    const before = await scrape();
    const base = sample(before, "boundary_upstream_requests_total", { endpoint: "GET /v1/sessions/{id}", status: "200" }) ?? 0;
    const res = await stack.gql(`query KnownOp { session(id: "${id}") { id scope { parent { name } } } }`, {}, { token: admin });
    expect(res.body.errors).toBeUndefined();
    await stack.gql(`query Missing { session(id: "s_0000000000") { id } }`, {}, { token: admin });

    const text = await scrape();
    expect(sample(text, "graphql_requests_total", { operation: "KnownOp", outcome: "success" })).toBe(1);
    expect(sample(text, "graphql_requests_total", { operation: "Missing", outcome: "error" })).toBe(1);
    expect(sample(text, "graphql_errors_total", { code: "NOT_FOUND" })).toBe(1);
    expect(sample(text, "graphql_request_duration_seconds_count", { operation: "KnownOp" })).toBe(1);
    expect(sample(text, "boundary_upstream_requests_total", { endpoint: "GET /v1/sessions/{id}", status: "200" })).toBe(base + 1);
    expect(sample(text, "boundary_upstream_requests_total", { endpoint: "GET /v1/sessions/{id}", status: "404" })).toBe(1);
    expect(sample(text, "boundary_upstream_requests_total", { endpoint: "GET /v1/scopes/{id}", status: "200" })).toBe(1);
    expect(sample(text, "graphql_loader_batch_size_count", { loader: "scope" })).toBe(1);
    expect(text).toContain("process_resident_memory_bytes");
    // Every non-comment line is `name{labels} value` or `name value`: the exposition format parses.
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
    }
  });
});

describe("logs", () => {
  it("write one line per GraphQL request with operation, outcome, duration, upstream calls and codes", async () => {
    lines.length = 0;
    const id = stack.emulator.store.sessions()[1]!.id;
    await stack.gql(`query LoggedOp { session(id: "${id}") { id connections { bytesUp } } }`, {}, { token: admin });
    await stack.gql(`query Denied { sessions(first: 2) { items { id } } }`, {}, { token: "at_1234567890_s1bogus" });
    const requests = lines.filter((l) => l.msg === "graphql request");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ operationName: "LoggedOp", outcome: "success", upstreamCalls: 1, errorCodes: [], status: 200 });
    expect(requests[0]!.durationMs).toEqual(expect.any(Number));
    // A bogus token is anonymous, and an anonymous recursive listing is refused with 403, not 401.
    expect(requests[1]).toMatchObject({ operationName: "Denied", outcome: "error", upstreamCalls: 1, errorCodes: ["FORBIDDEN"] });
  });

  it("never contain a token, even at trace level and on failures", async () => {
    const { admin: a, users } = stack.emulator.tokens;
    stack.emulator.faults.add({ kind: "status", status: 500, times: 3 });
    await stack.gql(`{ sessions(first: 1) { items { id } } }`, {}, { token: a.token });
    await stack.gql(
      `{ session(id: "s_1234567890") { id } }`,
      {},
      { token: users[0]!.token, headers: { cookie: `wt-http-token-cookie=${users[0]!.token}` } },
    );
    const all = raw.join("");
    expect(all.length).toBeGreaterThan(0);
    for (const t of [a, ...users]) {
      expect(all).not.toContain(t.token);
      expect(all).not.toContain(t.token.split("_s1")[1]!);
    }
  });
});
