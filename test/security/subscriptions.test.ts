/**
 * Attacks on subscriptions: one socket or one token taking every poller slot or unbounded memory
 * (thousands of subscriptions, distinct intervals, identical subscriptions each executing every event,
 * a client that stops reading). Real gateway and emulator on port 0, driven over real WebSockets.
 */
import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { expectResponsive } from "../helpers/responsive.js";

type Result = FormattedExecutionResult<Record<string, any>, unknown>;
type WireError = { message: string; extensions?: Record<string, unknown> };

const FAST_ENV = { SUBSCRIPTION_MIN_INTERVAL_MS: "20", SUBSCRIPTION_DEFAULT_INTERVAL_MS: "50" };
const UPDATED = `subscription Updated($id: ID!, $intervalMs: Int) { sessionUpdated(id: $id, intervalMs: $intervalMs) { id status version } }`;
const CHANGED = `subscription Changed($scopeId: ID, $recursive: Boolean, $intervalMs: Int) {
  sessionsChanged(scopeId: $scopeId, recursive: $recursive, intervalMs: $intervalMs) { items { id status version } removedIds } }`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One subscription's events, its refusal (an `error` message) and its completion. */
class Recorder {
  readonly events: Result[] = [];
  completed = false;
  failure: unknown;
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables?: Record<string, unknown>) {
    this.dispose = client.subscribe<Record<string, any>>(
      { query, variables },
      {
        next: (r) => this.events.push(r),
        error: (e) => (this.failure = e),
        complete: () => (this.completed = true),
      },
    );
  }

  get ended(): boolean {
    return this.completed || this.failure !== undefined;
  }

  /** The first error it got: a refusal before execution (`error`) or an error event (`next`). */
  get refusal(): WireError | undefined {
    if (Array.isArray(this.failure)) return this.failure[0] as WireError;
    return this.events.find((e) => e.errors)?.errors?.[0] as WireError | undefined;
  }

  unsubscribe(): void {
    this.dispose();
  }
}

/** Polls `cond` every 10 ms; fails with `what` after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const clients = new Set<Client>();
function connect(stack: Stack, token: string): Client {
  const client = createClient({
    url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
  });
  clients.add(client);
  return client;
}

/** A number from the gateway's /metrics, summed over its label sets (0 when absent). */
async function metric(stack: Stack, name: string): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
}

let stack: Stack | undefined;
afterEach(async () => {
  await Promise.all([...clients].map((c) => c.dispose()));
  clients.clear();
  await stack?.close();
  stack = undefined;
});

describe("subscription caps", () => {
  it("one socket cannot open more subscriptions than MAX_SUBSCRIPTIONS_PER_CONNECTION: the extra ones get RATE_LIMITED, the first ones keep receiving", async () => {
    stack = await startStack({ emulator: { sessions: 10, seed: 31 }, env: { ...FAST_ENV, MAX_SUBSCRIPTIONS_PER_CONNECTION: "5" } });
    const admin = stack.emulator.tokens.admin.token;
    const project = stack.emulator.store.scopeIds()[2]!;
    const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
    const client = connect(stack, admin);
    const first = Array.from({ length: 5 }, () => new Recorder(client, UPDATED, { id }));
    await until(() => first.every((s) => s.events.length >= 1), "the first five subscriptions' first events");
    const extra = Array.from({ length: 3 }, () => new Recorder(client, UPDATED, { id }));
    await until(() => extra.every((s) => s.ended), "the refusals");
    for (const s of extra) {
      expect(s.events).toHaveLength(0);
      expect(s.refusal!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "MAX_SUBSCRIPTIONS_PER_CONNECTION" });
      expect(JSON.stringify(s.failure)).not.toContain(admin);
    }
    // The socket stayed open: the first five see the next version.
    stack.emulator.store.setStatus(id, "canceling");
    await until(() => first.every((s) => s.events.length >= 2), "the next version on the first five");
    for (const s of first) {
      expect(s.ended).toBe(false);
      expect(s.events[1]!.data!.sessionUpdated).toMatchObject({ id, status: "CANCELING" });
    }
    // A slot freed by completing one can be taken again on the same socket.
    first[0]!.unsubscribe();
    await sleep(50);
    const again = new Recorder(client, UPDATED, { id });
    await until(() => again.events.length >= 1 || again.ended, "the subscription in the freed slot");
    expect(again.events[0]!.errors).toBeUndefined();
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("one token cannot hold more than MAX_POLLERS_PER_TOKEN pollers across two sockets, while another token still subscribes", async () => {
    stack = await startStack({ emulator: { sessions: 10, seed: 32 }, env: { ...FAST_ENV, MAX_POLLERS: "50", MAX_POLLERS_PER_TOKEN: "3" } });
    const admin = stack.emulator.tokens.admin.token;
    const project = stack.emulator.store.scopeIds()[2]!;
    const ids = Array.from({ length: 5 }, () => stack!.emulator.store.createSession({ projectId: project, status: "active" }));
    const a = connect(stack, admin);
    const b = connect(stack, admin);
    const held = [
      new Recorder(a, UPDATED, { id: ids[0] }),
      new Recorder(a, UPDATED, { id: ids[1] }),
      new Recorder(b, UPDATED, { id: ids[2] }),
    ];
    await until(() => held.every((s) => s.events.length >= 1), "the first three pollers");
    expect(held.every((s) => s.events[0]!.errors === undefined)).toBe(true);

    const over = new Recorder(b, UPDATED, { id: ids[3] });
    await until(() => over.ended, "the refusal");
    expect(over.refusal!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "MAX_POLLERS_PER_TOKEN" });
    expect(JSON.stringify(over.events)).not.toContain(admin);
    // Sharing a poller the token already holds needs no new slot.
    const sharing = new Recorder(b, UPDATED, { id: ids[0] });
    await until(() => sharing.events.length >= 1 || sharing.ended, "the sharing subscription");
    expect(sharing.events[0]!.errors).toBeUndefined();
    expect(await metric(stack, "graphql_subscription_pollers")).toBe(3);

    // Another token is not held back by the first one's cap.
    const user = stack.emulator.tokens.users[0]!;
    const mine = stack.emulator.store.createSession({ projectId: project, userId: user.userId, status: "active" });
    const other = new Recorder(connect(stack, user.token), UPDATED, { id: mine });
    await until(() => other.events.length >= 1 || other.ended, "the other token's subscription");
    expect(other.events[0]!.errors).toBeUndefined();
    expect(other.events[0]!.data!.sessionUpdated).toMatchObject({ id: mine });

    // Letting go of a poller gives the token its slot back.
    held[0]!.unsubscribe();
    sharing.unsubscribe();
    await until(async () => (await metric(stack!, "graphql_subscription_pollers")) === 3, "the released poller to stop");
    const after = new Recorder(a, UPDATED, { id: ids[4] });
    await until(() => after.events.length >= 1 || after.ended, "a subscription in the freed slot");
    expect(after.events[0]!.errors).toBeUndefined();
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("200 subscriptions with distinct intervalMs from one socket with a junk token do not exhaust MAX_POLLERS", async () => {
    stack = await startStack({
      emulator: { sessions: 10, seed: 33 },
      env: { MAX_POLLERS: "20", MAX_POLLERS_PER_TOKEN: "20", MAX_SUBSCRIPTIONS_PER_CONNECTION: "300" },
    });
    // The junk token's listings are held in flight, so its pollers stay up for the whole attack.
    stack.emulator.faults.add({ kind: "latency", ms: 5_000, times: 1_000, match: /^GET \/v1\/sessions$/ });
    const attacker = connect(stack, "at_1234567890_s1junkjunkjunkjunkjunk");
    const subs = Array.from({ length: 200 }, (_, i) => new Recorder(attacker, CHANGED, { intervalMs: 500 + i * 500 }));
    // 500..100000 ms round up to 500, 1000, 2000, 5000, 10000, 30000, 60000 and 120000: eight pollers.
    await until(async () => (await metric(stack!, "graphql_subscriptions")) === 200, "the attacker's 200 subscriptions");
    expect(await metric(stack, "graphql_subscription_pollers")).toBe(8);
    expect(subs.filter((s) => s.ended)).toHaveLength(0);

    const admin = stack.emulator.tokens.admin.token;
    const id = stack.emulator.store.sessions()[0]!.id;
    const other = new Recorder(connect(stack, admin), UPDATED, { id });
    await until(() => other.events.length >= 1 || other.ended, "another client's subscription");
    expect(other.events[0]!.errors).toBeUndefined();
    expect(other.events[0]!.data!.sessionUpdated).toMatchObject({ id });
    await expectResponsive(stack.gateway.url, stack.emulator);
  });
});

describe("subscription fan-out", () => {
  it("N identical subscriptions on one poller execute each event once and read each neighbour once", async () => {
    stack = await startStack({ emulator: { sessions: 10, seed: 34 }, env: FAST_ENV });
    const admin = stack.emulator.tokens.admin.token;
    const project = stack.emulator.store.scopeIds()[2]!;
    const withUser = `subscription Changed($scopeId: ID, $recursive: Boolean) {
      sessionsChanged(scopeId: $scopeId, recursive: $recursive, intervalMs: 60) { items { id user { id } } } }`;
    const variables = { scopeId: project, recursive: false };
    const a = connect(stack, admin);
    const b = connect(stack, admin);
    const subs = Array.from({ length: 20 }, (_, i) => new Recorder(i % 2 ? a : b, withUser, variables));
    await until(() => subs.every((s) => s.events.length >= 1), "every first event");
    expect(await metric(stack, "graphql_subscription_pollers")).toBe(1);

    const user = stack.emulator.tokens.users[0]!;
    const before = await metric(stack, "graphql_subscription_executions_total");
    stack.emulator.clearCalls();
    const created = stack.emulator.store.createSession({ projectId: project, userId: user.userId });
    await until(() => subs.every((s) => s.events.length >= 2), "the new session on every subscriber");
    for (const s of subs) expect(s.events[1]!.data!.sessionsChanged.items).toEqual([{ id: created, user: { id: user.userId } }]);
    // One event, twenty subscribers, one operation: one execution and one read of the user.
    expect((await metric(stack, "graphql_subscription_executions_total")) - before).toBe(1);
    expect(callsTo(stack.emulator, "GET", new RegExp(`^/v1/users/${user.userId}$`))).toHaveLength(1);

    // Late joiners are told the current listing first: one execution for all of them too.
    const joined = await metric(stack, "graphql_subscription_executions_total");
    const late = Array.from({ length: 20 }, (_, i) => new Recorder(i % 2 ? a : b, withUser, variables));
    await until(() => late.every((s) => s.events.length >= 1), "the late joiners' first events");
    const listing = late[0]!.events[0]!.data!.sessionsChanged.items as unknown[];
    expect(listing).toContainEqual({ id: created, user: { id: user.userId } });
    for (const s of late) expect(s.events[0]!.data!.sessionsChanged.items).toEqual(listing);
    expect((await metric(stack, "graphql_subscription_executions_total")) - joined).toBe(1);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("a client that stops reading is disconnected once its send buffer passes MAX_SOCKET_BUFFER_BYTES, and the gateway stays responsive", async () => {
    stack = await startStack({ emulator: { sessions: 1_000, seed: 35 }, env: { ...FAST_ENV, MAX_SOCKET_BUFFER_BYTES: "65536" } });
    const admin = stack.emulator.tokens.admin.token;
    const socket = new WebSocket(`${stack.gateway.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${admin}` } })));
      socket.once("message", (data) => (JSON.parse(String(data)).type === "connection_ack" ? resolve() : reject(new Error(String(data)))));
    });
    // Stop reading, then ask for 100 full listings of 1000 sessions (tens of MB in all).
    socket.pause();
    const big = `subscription { sessionsChanged(intervalMs: 60000) { items { id status version type userId targetId endpoint createdTime updatedTime expirationTime } } }`;
    for (let i = 0; i < 100; i++) socket.send(JSON.stringify({ id: String(i), type: "subscribe", payload: { query: big } }));

    await until(async () => (await metric(stack!, "graphql_subscriptions")) >= 1, "the subscriptions to start");
    // The gateway lets go of the socket and of its subscriptions.
    await until(async () => (await metric(stack!, "graphql_subscriptions")) === 0, "the slow socket's subscriptions to end", 5_000);
    expect(await metric(stack, "graphql_subscription_pollers")).toBe(0);
    socket.resume();
    expect([1006, 4429]).toContain(await closed);
    await expectResponsive(stack.gateway.url, stack.emulator);
  });
});
