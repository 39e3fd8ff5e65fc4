/**
 * One poller per subscription key across gateways sharing a real redis-server: equal subscriptions on
 * two gateways make one poller's list calls, every change reaches the subscribers of both exactly once,
 * a leader that dies (SIGKILL, lease not released) is replaced by a follower within two intervals, from
 * the stored state, and Redis going away only makes each gateway poll for itself.
 */
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { createClient, type Client } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { startGateway, type Gateway } from "../../src/server.js";
import { callsTo } from "../helpers/harness.js";
import { startMain } from "../helpers/main-process.js";
import { sharedUpstream } from "../helpers/scale.js";

const INTERVAL_MS = 200;
/** Long enough next to the scheduling slack that the takeover bound is measured, not the machine. */
const TAKEOVER_INTERVAL_MS = 1_000;
const SCHEDULING_SLACK_MS = 300;
function changed(intervalMs: number): string {
  return `subscription { sessionsChanged(scopeId: "global", recursive: true, includeTerminated: true, intervalMs: ${intervalMs}) {
  items { id status version } removedIds } }`;
}

const up = sharedUpstream();
let run = 0;
const gateways: Gateway[] = [];
const clients: Client[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function envFor(prefix: string): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.POLLERS_LOG ?? "silent",
    NODE_ENV: "test",
    BOUNDARY_ADDR: up.emulator.url,
    REDIS_URL: up.redis.url,
    REDIS_PREFIX: prefix,
    SUBSCRIPTION_MIN_INTERVAL_MS: "100",
  };
}

async function replicas(count: number, prefix: string): Promise<Gateway[]> {
  const config = loadConfig({ PORT: "0", ...envFor(prefix) });
  const started = await Promise.all(Array.from({ length: count }, () => startGateway(config)));
  gateways.push(...started);
  for (const g of started) await until(async () => (await redisUp(g.url)) === 1, "gateway_redis_up 1");
  return started;
}

/** A gateway in a process of its own (`tsx src/main.ts`), so that it can die as a process dies. */
async function spawnGateway(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, url } = await startMain({ ...envFor(prefix), LOG_LEVEL: "info" }, 30_000);
  children.push(child);
  const base = url.replace(/\/graphql$/, "");
  await until(async () => (await redisUp(base)) === 1, "spawned gateway_redis_up 1");
  return { child, url: base };
}

async function redisUp(url: string): Promise<number | undefined> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith("gateway_redis_up "));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Item {
  id: string;
  status: string;
  version: number;
}

/** A subscriber on `url` whose events are collected, in order. */
function subscribe(url: string, intervalMs = INTERVAL_MS): { events: Item[][]; errors: unknown[] } {
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${up.emulator.tokens.admin.token}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const seen = { events: [] as Item[][], errors: [] as unknown[] };
  client.subscribe<{ sessionsChanged: { items: Item[] } }>(
    { query: changed(intervalMs) },
    {
      next: (result) => {
        if (result.errors) seen.errors.push(result.errors);
        else seen.events.push(result.data!.sessionsChanged.items);
      },
      error: (err) => seen.errors.push(err),
      complete: () => undefined,
    },
  );
  return seen;
}

/** How many events told `id` at `status`. */
const told = (sub: { events: Item[][] }, id: string, status: string) =>
  sub.events.filter((items) => items.some((s) => s.id === id && s.status === status)).length;

const listCalls = () => callsTo(up.emulator, "GET", /^\/v1\/sessions$/).length;

/**
 * List calls over 20 intervals while every gateway uses Redis. A command slower than its deadline makes
 * a gateway skip Redis for 5 s and poll for itself, by design; on a loaded machine that can happen, and
 * a window it touched (seen as gateway_redis_up 0 at either end, the skip outlasting the window) is
 * measured again.
 */
async function callsOverWindow(urls: string[]): Promise<number> {
  const allUp = async () => (await Promise.all(urls.map(redisUp))).every((up) => up === 1);
  for (let attempt = 1; ; attempt++) {
    await until(allUp, "gateway_redis_up 1 on all", 15_000);
    const before = listCalls();
    await sleep(20 * INTERVAL_MS);
    const calls = listCalls() - before;
    if ((await allUp()) || attempt === 3) return calls;
  }
}

/** A change every subscriber must be told once: a new active session. */
const newSession = () => up.emulator.store.createSession({ status: "active" });

async function leaseKeys(prefix: string): Promise<string[]> {
  const client = new Redis(up.redis.url);
  try {
    return await client.keys(`${prefix}live:*:lease`);
  } finally {
    client.disconnect();
  }
}

/** The id of the process that holds the one lease under `prefix`. */
async function leaseHolder(prefix: string): Promise<string | null> {
  const [key] = await leaseKeys(prefix);
  expect(key).toBeDefined();
  const client = new Redis(up.redis.url);
  try {
    return await client.get(key!);
  } finally {
    client.disconnect();
  }
}

describe("pollers shared through Redis", () => {
  it("poll once for equal subscriptions on two gateways, and tell each change to both exactly once", async () => {
    const prefix = `pollers-${++run}:`;
    const [a, b] = await replicas(2, prefix);
    const onA = subscribe(a!.url);
    await until(() => onA.events.length === 1, "the listing on a");
    const onB = subscribe(b!.url);
    await until(() => onB.events.length === 1, "the listing on b");
    expect(onB.events[0]!.map((s) => s.id).sort()).toEqual(onA.events[0]!.map((s) => s.id).sort());
    expect(await leaseKeys(prefix)).toHaveLength(1);

    // One poller: about one list call per interval (two pollers would make twice as many).
    const calls = await callsOverWindow([a!.url, b!.url]);
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(calls).toBeLessThanOrEqual(22);

    const id = newSession();
    await until(() => told(onA, id, "ACTIVE") === 1 && told(onB, id, "ACTIVE") === 1, "the new session on both");
    up.emulator.store.setStatus(id, "terminated", "canceled");
    await until(() => told(onA, id, "TERMINATED") === 1 && told(onB, id, "TERMINATED") === 1, "the termination on both");
    await sleep(5 * INTERVAL_MS);
    for (const sub of [onA, onB]) {
      expect(told(sub, id, "ACTIVE")).toBe(1);
      expect(told(sub, id, "TERMINATED")).toBe(1);
      expect(sub.errors).toEqual([]);
    }
    // Nothing names the token.
    const client = new Redis(up.redis.url);
    const keys = await client.keys(`${prefix}*`).finally(() => client.disconnect());
    expect(keys.join("\n")).not.toContain(up.emulator.tokens.admin.token);
  });

  it("count calls of one poller, not one per gateway, over a few intervals", async () => {
    const prefix = `pollers-${++run}:`;
    const [a, b, c] = await replicas(3, prefix);
    const subs = [subscribe(a!.url), subscribe(b!.url), subscribe(c!.url)];
    await until(() => subs.every((s) => s.events.length === 1), "the listing on all three");
    // Three pollers would make about 3 × 20; one makes at most about 20.
    expect(await callsOverWindow([a!.url, b!.url, c!.url])).toBeLessThanOrEqual(22);
  });

  it("take over within two intervals of the leader's death (SIGKILL, lease not released), from the stored state, missing and repeating nothing", async () => {
    const prefix = `pollers-${++run}:`;
    const leader = await spawnGateway(prefix);
    const onLeader = subscribe(leader.url, TAKEOVER_INTERVAL_MS);
    await until(() => onLeader.events.length === 1, "the listing on the leader");
    const [follower] = await replicas(1, prefix);
    const onFollower = subscribe(follower!.url, TAKEOVER_INTERVAL_MS);
    await until(() => onFollower.events.length === 1, "the listing on the follower");

    const first = newSession();
    await until(() => told(onLeader, first, "ACTIVE") === 1 && told(onFollower, first, "ACTIVE") === 1, "the first change on both");
    expect(await leaseKeys(prefix)).toHaveLength(1);

    // A change the leader may or may not have polled (and announced) before it dies: told once either way.
    const atDeath = newSession();
    // Calls recorded from the exit on are the successor's (the follower polled none while it followed).
    let callsAtExit = 0;
    const exited = new Promise((resolve) =>
      leader.child.once("exit", () => {
        callsAtExit = listCalls();
        resolve(undefined);
      }),
    );
    const killedAt = performance.now();
    leader.child.kill("SIGKILL");
    await exited;
    await until(() => listCalls() > callsAtExit, "the successor's first list call", 4 * TAKEOVER_INTERVAL_MS);
    const takeover = callsTo(up.emulator, "GET", /^\/v1\/sessions$/)[callsAtExit]!.start - killedAt;
    // The lease lapses at most one interval after the death, the follower claims every half interval
    // and polls at once on taking it (src/shared/live-sharing.ts); the slack is for process scheduling.
    expect(takeover).toBeLessThanOrEqual(2 * TAKEOVER_INTERVAL_MS + SCHEDULING_SLACK_MS);

    const after = newSession();
    await until(
      () => told(onFollower, atDeath, "ACTIVE") === 1 && told(onFollower, after, "ACTIVE") === 1,
      "the changes around the kill on the follower",
    );
    up.emulator.store.setStatus(after, "terminated", "canceled");
    await until(() => told(onFollower, after, "TERMINATED") === 1, "the next change");
    await sleep(3 * TAKEOVER_INTERVAL_MS);
    expect(told(onFollower, first, "ACTIVE")).toBe(1);
    expect(told(onFollower, atDeath, "ACTIVE")).toBe(1);
    expect(told(onFollower, after, "ACTIVE")).toBe(1);
    expect(told(onFollower, after, "TERMINATED")).toBe(1);
    expect(onFollower.errors).toEqual([]);
  }, 60_000);

  it("keep the lease through a poll slower than the lease: the follower does not poll meanwhile", async () => {
    const prefix = `pollers-${++run}:`;
    const [a, b] = await replicas(2, prefix);
    const subs = [subscribe(a!.url), subscribe(b!.url)];
    await until(() => subs.every((s) => s.events.length === 1), "the listing on both");
    const allUp = async () => (await Promise.all([a!.url, b!.url].map(redisUp))).every((up) => up === 1);
    // A Redis command slower than its deadline makes a gateway poll for itself for 5 s, by design
    // (see callsOverWindow): a window it touched is measured again.
    for (let attempt = 1; ; attempt++) {
      await until(allUp, "gateway_redis_up 1 on both", 15_000);
      const holder = await leaseHolder(prefix);
      // At this interval the lease is its floor, 500 ms: the next list call answers after six of them.
      up.emulator.faults.add({ kind: "latency", ms: 3_000, match: /^GET \/v1\/sessions$/ });
      const before = listCalls();
      await until(() => listCalls() > before, "the slow poll");
      await sleep(2_500);
      const calls = listCalls() - before;
      const holderAfter = await leaseHolder(prefix);
      if (!(await allUp()) && attempt < 3) {
        await sleep(1_000);
        continue;
      }
      expect(calls).toBe(1);
      expect(holderAfter).toBe(holder);
      break;
    }
    const id = newSession();
    await until(() => subs.every((s) => told(s, id, "ACTIVE") === 1), "the change after the slow poll on both");
    await sleep(5 * INTERVAL_MS);
    for (const sub of subs) {
      expect(told(sub, id, "ACTIVE")).toBe(1);
      expect(sub.errors).toEqual([]);
    }
  });

  it("keep telling changes while Redis is down (each gateway polls), and share again once it is back", async () => {
    const prefix = `pollers-${++run}:`;
    const [a, b] = await replicas(2, prefix);
    const subs = [subscribe(a!.url), subscribe(b!.url)];
    await until(() => subs.every((s) => s.events.length === 1), "the listing on both");
    await up.redis.kill();
    try {
      for (const g of [a!, b!]) await until(async () => (await redisUp(g.url)) === 0, "gateway_redis_up 0");
      const during = newSession();
      await until(() => subs.every((s) => told(s, during, "ACTIVE") === 1), "a change while Redis is down");
    } finally {
      await up.redis.restart();
    }
    for (const g of [a!, b!]) await until(async () => (await redisUp(g.url)) === 1, "gateway_redis_up 1 again");
    await until(async () => (await leaseKeys(prefix)).length === 1, "one lease again");
    const after = newSession();
    await until(() => subs.every((s) => told(s, after, "ACTIVE") === 1), "a change after Redis returned");
    await sleep(5 * INTERVAL_MS);
    for (const sub of subs) {
      expect(sub.events.flat().filter((s) => s.status === "ACTIVE" && s.id === after)).toHaveLength(1);
      expect(sub.errors).toEqual([]);
    }
    // Shared again: one poller's calls.
    expect(await callsOverWindow([a!.url, b!.url])).toBeLessThanOrEqual(22);
  });
});
