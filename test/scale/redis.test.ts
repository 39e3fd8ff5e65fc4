/**
 * Replicas sharing state through a real redis-server (REDIS_URL): the list budget counts across them,
 * a persisted query registered through one is served by another, and Redis going away costs sharing,
 * never a request. Each gateway here is an in-process startGateway with its own Redis connection.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startGateway, type Gateway } from "../../src/server.js";
import { callsTo } from "../helpers/harness.js";
import { sharedUpstream } from "../helpers/scale.js";

const LIST = `{ sessions(first: 5) { items { id } } }`;
const up = sharedUpstream();
let open: Gateway[] = [];
let run = 0;

afterEach(async () => {
  await Promise.all(open.map((g) => g.stop()));
  open = [];
});

/** `count` gateways on one controller and one Redis, under a key prefix of their own. */
async function replicas(count: number, env: Record<string, string> = {}): Promise<Gateway[]> {
  const prefix = `test-${++run}:`;
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    NODE_ENV: "test",
    BOUNDARY_ADDR: up.emulator.url,
    REDIS_URL: up.redis.url,
    REDIS_PREFIX: prefix,
    ...env,
  });
  const started = await Promise.all(Array.from({ length: count }, () => startGateway(config)));
  open.push(...started);
  // Each connects in the background; wait until all use Redis.
  for (const g of started) await until(async () => (await redisUp(g)) === 1, "gateway_redis_up 1");
  return started;
}

async function post(g: Gateway, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${g.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${up.emulator.tokens.admin.token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function redisUp(g: Gateway): Promise<number | undefined> {
  const text = await fetch(`${g.url}/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith("gateway_redis_up "));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const apq = (query: string) => ({ version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") });

describe("replicas sharing Redis", () => {
  it("count one list budget: N list calls across replicas, then RATE_LIMITED on any of them", async () => {
    const [a, b] = await replicas(2, { UPSTREAM_LIST_BUDGET: "3" });
    const before = callsTo(up.emulator, "GET", /^\/v1\/sessions$/).length;
    for (const g of [a!, a!, b!]) expect((await post(g, { query: LIST })).body.errors).toBeUndefined();
    for (const g of [b!, a!]) {
      const refused = await post(g, { query: LIST });
      expect(refused.body.errors[0].extensions.code).toBe("RATE_LIMITED");
      expect(refused.body.errors[0].extensions.limit).toBe("UPSTREAM_LIST_BUDGET");
    }
    expect(callsTo(up.emulator, "GET", /^\/v1\/sessions$/).length - before).toBe(3);
  });

  it("count one per-token rate limit: RATE_LIMIT_COST_PER_MINUTE across replicas, keyed without the token", async () => {
    const [a, b, c] = await replicas(3, { RATE_LIMIT_COST_PER_MINUTE: "3" });
    const before = callsTo(up.emulator, "GET", /^\/v1\/sessions$/).length;
    // Each listing costs 1: one answer per replica spends the token's 3.
    for (const g of [a!, b!, c!]) expect((await post(g, { query: LIST })).body.errors).toBeUndefined();
    for (const g of [c!, a!]) {
      const refused = await post(g, { query: LIST });
      expect(refused.status).toBe(429);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "RATE_LIMIT_COST_PER_MINUTE" });
    }
    expect(callsTo(up.emulator, "GET", /^\/v1\/sessions$/).length - before).toBe(3);
    const client = new Redis(up.redis.url);
    const keys = await client.keys("*").finally(() => client.disconnect());
    expect(keys.some((k) => k.includes("limit:cost"))).toBe(true);
    expect(keys.join("\n")).not.toContain(up.emulator.tokens.admin.token);
  });

  it("serve a persisted query registered through another replica", async () => {
    const [a, b] = await replicas(2);
    const query = `{ sessions(first: 2) { items { id status } } }`;
    const ext = { persistedQuery: apq(query) };
    const unknown = await post(b!, { extensions: ext });
    expect(unknown.body.errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    const registered = await post(a!, { query, extensions: ext });
    expect(registered.body.errors).toBeUndefined();
    const served = await post(b!, { extensions: ext });
    expect(served.status).toBe(200);
    expect(served.body.errors).toBeUndefined();
    expect(served.body.data).toEqual(registered.body.data);
    expect(served.body.data.sessions.items).toHaveLength(2);
  });

  it("keep answering while Redis is down, say so in /readyz and gateway_redis_up, and return to it", async () => {
    const [a, b] = await replicas(2, { UPSTREAM_LIST_BUDGET: "1000" });
    await up.redis.kill();
    try {
      await until(async () => (await redisUp(a!)) === 0, "gateway_redis_up 0");
      for (let i = 0; i < 5; i++) {
        const answer = await post(a!, { query: LIST });
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data.sessions.items).toHaveLength(5);
      }
      // Persisted queries fall back to the replica's own copy.
      const query = `{ sessions(first: 1) { items { id } } }`;
      const ext = { persistedQuery: apq(query) };
      expect((await post(a!, { query, extensions: ext })).body.errors).toBeUndefined();
      expect((await post(a!, { extensions: ext })).body.data.sessions.items).toHaveLength(1);
      const ready = await fetch(`${a!.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready", redis: "down" });
    } finally {
      await up.redis.restart();
    }
    for (const g of [a!, b!]) await until(async () => (await redisUp(g)) === 1, "gateway_redis_up 1 after the restart");
    expect(await fetch(`${a!.url}/readyz`).then((r) => r.json())).toEqual({ status: "ready", redis: "up" });
    // Shared again: a query registered through one is served by the other.
    const query = `{ sessions(first: 3) { items { id } } }`;
    const ext = { persistedQuery: apq(query) };
    expect((await post(a!, { query, extensions: ext })).body.errors).toBeUndefined();
    expect((await post(b!, { extensions: ext })).body.data.sessions.items).toHaveLength(3);
  });

  it("without REDIS_URL report no Redis in /readyz or the metrics", async () => {
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", NODE_ENV: "test", BOUNDARY_ADDR: up.emulator.url });
    const g = await startGateway(config);
    open.push(g);
    expect(await fetch(`${g.url}/readyz`).then((r) => r.json())).toEqual({ status: "ready" });
    expect(await redisUp(g)).toBeUndefined();
  });
});
