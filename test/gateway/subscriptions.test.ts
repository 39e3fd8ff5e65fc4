/**
 * Subscriptions over a real WebSocket (the graphql-ws client and protocol), against the emulator with
 * short poll intervals. The emulator's call log shows what reached the controller; `/metrics` shows how
 * many pollers run.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { WireSession } from "../../src/boundary/wire.js";
import { mergeDeltas, type SessionsEvent } from "../../src/live/events.js";
import { EventStream } from "../../src/live/stream.js";
import { loadConfig } from "../../src/config.js";
import { startGateway } from "../../src/server.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

/** Short enough to keep the file fast; the gateway's own floor is lowered to let tests use it. */
const INTERVAL = 50;
// The list budget would stretch these test intervals (see list-budget.test.ts): raised out of the way.
const FAST_ENV = {
  SUBSCRIPTION_MIN_INTERVAL_MS: "20",
  SUBSCRIPTION_DEFAULT_INTERVAL_MS: String(INTERVAL),
  UPSTREAM_LIST_BUDGET: "1000000",
};

type Result = FormattedExecutionResult<Record<string, any>, unknown>;

/** One subscription's events as they arrive, with waits bounded in time. */
class Recorder {
  readonly events: Result[] = [];
  completed = false;
  /** An `error` message (a refusal before execution), or the socket closing under the subscription. */
  failure: unknown;
  private readonly wakers = new Set<() => void>();
  private readonly dispose: () => void;

  constructor(client: Client, query: string, variables?: Record<string, unknown>) {
    this.dispose = client.subscribe<Record<string, any>>(
      { query, variables },
      {
        next: (r) => this.wake(() => this.events.push(r)),
        error: (e) => this.wake(() => (this.failure = e)),
        complete: () => this.wake(() => (this.completed = true)),
      },
    );
  }

  private wake(change: () => void): void {
    change();
    for (const w of this.wakers) w();
  }

  get ended(): boolean {
    return this.completed || this.failure !== undefined;
  }

  /** Resolves once `cond` holds; fails after `ms`. */
  until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what}; got ${JSON.stringify({ events: this.events, completed: this.completed, failure: String(this.failure) })}`,
          ),
        );
      }, ms);
      this.wakers.add(check);
    });
  }

  /** The n-th event (1-based), waiting for it. */
  async event(n: number, ms?: number): Promise<Result> {
    await this.until(() => this.events.length >= n || this.ended, `event ${n}`, ms);
    if (this.events.length < n)
      throw new Error(`the subscription ended after ${this.events.length} events: ${JSON.stringify(this.events)} ${String(this.failure)}`);
    return this.events[n - 1]!;
  }

  async end(ms?: number): Promise<void> {
    await this.until(() => this.ended, "the end of the subscription", ms);
  }

  unsubscribe(): void {
    this.dispose();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const SESSION_FIELDS = "id status version userId terminationReason";
const CHANGED = `subscription Changed($scopeId: ID, $recursive: Boolean, $filter: String, $includeTerminated: Boolean, $intervalMs: Int) {
  sessionsChanged(scopeId: $scopeId, recursive: $recursive, filter: $filter, includeTerminated: $includeTerminated, intervalMs: $intervalMs) {
    items { ${SESSION_FIELDS} } removedIds listToken } }`;
const UPDATED = `subscription Updated($id: ID!, $intervalMs: Int) {
  sessionUpdated(id: $id, intervalMs: $intervalMs) { ${SESSION_FIELDS} states { status } connections { closedReason } } }`;

function ids(result: Result): string[] {
  return (result.data!.sessionsChanged.items as { id: string }[]).map((s) => s.id);
}

/** A graphql-ws client over a real socket; `token` goes in connection_init, `headers` on the upgrade. */
function connect(
  stack: Stack,
  opts: { token?: string; headers?: Record<string, string>; connectionParams?: Record<string, unknown> } = {},
): Client {
  const headers = opts.headers;
  class Socket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, headers ? { headers } : {});
    }
  }
  const client = createClient({
    url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: Socket,
    connectionParams: opts.connectionParams ?? (opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : undefined),
    retryAttempts: 0,
    lazy: true,
  });
  open.add(client);
  return client;
}

const open = new Set<Client>();
async function disconnectAll(): Promise<void> {
  await Promise.all([...open].map((c) => c.dispose()));
  open.clear();
}

/** `graphql_subscription_pollers` and `graphql_subscriptions` from /metrics, summed over fields. */
async function liveCounts(stack: Stack): Promise<{ pollers: number; subscriptions: number }> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(`${name}{`))
      .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
  return { pollers: sum("graphql_subscription_pollers"), subscriptions: sum("graphql_subscriptions") };
}

/** Waits until the gateway reports `pollers` pollers (pollers stop asynchronously after a client leaves). */
async function expectPollers(stack: Stack, pollers: number): Promise<void> {
  const deadline = Date.now() + 2_000;
  let last = await liveCounts(stack);
  while (last.pollers !== pollers && Date.now() < deadline) {
    await sleep(20);
    last = await liveCounts(stack);
  }
  expect(last.pollers).toBe(pollers);
}

const listCalls = (stack: Stack, token: string) =>
  callsTo(stack.emulator, "GET", /^\/v1\/sessions$/).filter((c) => c.authorization === `Bearer ${token}`);

describe("subscriptions", () => {
  let stack: Stack;
  let admin: string;
  let project: string;

  beforeAll(async () => {
    // A cancel stays CANCELING until a test advances the clock, so every state is seen for sure.
    stack = await startStack({ emulator: { sessions: 40, seed: 21, cancelDelayMs: 60_000 }, env: { ...FAST_ENV, MAX_POLLERS: "3" } });
    admin = stack.emulator.tokens.admin.token;
    project = stack.emulator.store.scopeIds()[2]!;
  });
  afterEach(async () => {
    await disconnectAll();
    stack.emulator.faults.clear();
    await expectPollers(stack, 0);
  });
  afterAll(() => stack.close());

  describe("sessionUpdated", () => {
    it("follows a cancel made through the mutation: the session as it is, CANCELING, TERMINATED, then completion", async () => {
      const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
      const version = stack.emulator.store.session(id)!.version!;
      const sub = new Recorder(connect(stack, { token: admin }), UPDATED, { id });
      const first = await sub.event(1);
      expect(first.errors).toBeUndefined();
      expect(first.data!.sessionUpdated).toMatchObject({ id, status: "ACTIVE", version, terminationReason: null });
      // Read sessions carry their connections.
      expect(first.data!.sessionUpdated.connections).toEqual([{ closedReason: null }]);

      const cancel = await stack.gql(`mutation { cancelSession(id: "${id}") { status } }`, {}, { token: admin });
      expect(cancel.body.data!.cancelSession.status).toBe("CANCELING");
      const canceling = await sub.event(2);
      expect(canceling.data!.sessionUpdated).toMatchObject({ status: "CANCELING", version: version + 1 });
      expect(sub.completed).toBe(false);

      stack.emulator.clock.advance(60_000);
      const terminated = await sub.event(3);
      expect(terminated.data!.sessionUpdated).toMatchObject({ status: "TERMINATED", version: version + 2, terminationReason: "canceled" });
      expect(terminated.data!.sessionUpdated.states.map((s: { status: string }) => s.status).slice(0, 3)).toEqual([
        "TERMINATED",
        "CANCELING",
        "ACTIVE",
      ]);
      await sub.end();
      expect(sub.completed).toBe(true);
      expect(sub.failure).toBeUndefined();
      expect(sub.events).toHaveLength(3);

      // Completion stopped the poller: no read of the session after it.
      await expectPollers(stack, 0);
      const reads = callsTo(stack.emulator, "GET", new RegExp(`^/v1/sessions/${id}$`)).length;
      await sleep(INTERVAL * 4);
      expect(callsTo(stack.emulator, "GET", new RegExp(`^/v1/sessions/${id}$`))).toHaveLength(reads);
    });

    it("works from Apollo Client with the split link docs/subscriptions.md shows", async () => {
      const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
      const authorization = `Bearer ${admin}`;
      const ws = createClient({
        url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization },
        retryAttempts: 0,
      });
      open.add(ws);
      const apollo = new ApolloClient({
        link: ApolloLink.split(
          ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
          new GraphQLWsLink(ws),
          new HttpLink({ uri: `${stack.gateway.url}/graphql`, headers: { authorization } }),
        ),
        cache: new InMemoryCache(),
      });
      const WATCH = gql`
        subscription Watch($id: ID!) {
          sessionUpdated(id: $id) {
            id
            status
            version
          }
        }
      `;
      const statuses: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Apollo Client saw only ${statuses.join(", ")}`)), 3_000);
        apollo.subscribe<{ sessionUpdated: { status: string } }>({ query: WATCH, variables: { id } }).subscribe({
          next: ({ data, error }) => {
            if (error || !data) return reject(error ?? new Error("no data"));
            statuses.push(data.sessionUpdated.status);
            // The cancel goes over HTTP through the same client.
            if (statuses.length === 1)
              void apollo.mutate({
                mutation: gql`
                  mutation Cancel($id: ID!) {
                    cancelSession(id: $id) {
                      id
                      status
                    }
                  }
                `,
                variables: { id },
              });
            if (data.sessionUpdated.status === "CANCELING") stack.emulator.clock.advance(60_000);
          },
          error: reject,
          complete: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
      expect(statuses).toEqual(["ACTIVE", "CANCELING", "TERMINATED"]);
      apollo.stop();
    });

    it("tells a terminated session once and completes", async () => {
      const done = stack.emulator.store.sessions().find((s) => s.status === "terminated")!;
      const sub = new Recorder(connect(stack, { token: admin }), UPDATED, { id: done.id });
      await sub.end();
      expect(sub.completed).toBe(true);
      expect(sub.events.map((e) => e.data!.sessionUpdated.status)).toEqual(["TERMINATED"]);
    });

    it("ends with NOT_FOUND when the session does not exist, and refuses a malformed id before any call", async () => {
      const client = connect(stack, { token: admin });
      const missing = new Recorder(client, UPDATED, { id: "s_0000000000" });
      await missing.end();
      expect(missing.completed).toBe(true);
      expect(missing.events).toHaveLength(1);
      expect(missing.events[0]!.data).toBeNull();
      expect(missing.events[0]!.errors![0]).toMatchObject({
        path: ["sessionUpdated"],
        extensions: { code: "NOT_FOUND", upstream: { status: 404 } },
      });

      stack.emulator.clearCalls();
      const bad = new Recorder(client, UPDATED, { id: "s_x/../y" });
      await bad.end();
      expect(bad.events[0]!.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
      expect(stack.emulator.calls).toHaveLength(0);
    });
  });

  describe("sessionsChanged", () => {
    it("starts with the listing, then tells a new session, a terminated one (as removed) and a deleted one; nothing when nothing changed", async () => {
      const client = connect(stack, { token: admin });
      const sub = new Recorder(client, CHANGED, { scopeId: project, recursive: false });
      const first = await sub.event(1);
      expect(first.errors).toBeUndefined();
      expect(first.data!.sessionsChanged.removedIds).toEqual([]);
      expect(first.data!.sessionsChanged.listToken).toMatch(/^[1-9A-HJ-NP-Za-km-z]+$/);
      // The same listing, in the same order, as the `sessions` query gives.
      const listed = await stack.gql(`{ sessions(scopeId: "${project}", recursive: false) { items { id } } }`, {}, { token: admin });
      expect(ids(first)).toEqual(listed.body.data!.sessions.items.map((s: { id: string }) => s.id));
      expect(ids(first).length).toBeGreaterThan(0);
      stack.emulator.clearCalls();

      const created = stack.emulator.store.createSession({ projectId: project });
      const added = await sub.event(2);
      expect(added.data!.sessionsChanged).toMatchObject({ items: [{ id: created, status: "PENDING" }], removedIds: [] });

      // Refreshes re-read 30 s back, so the new session comes back every round: it is not news again.
      await sleep(INTERVAL * 5);
      expect(sub.events).toHaveLength(2);

      // A second subscriber with the same token and arguments except includeTerminated shares the poller.
      const all = new Recorder(client, CHANGED, { scopeId: project, recursive: false, includeTerminated: true });
      const allFirst = await all.event(1);
      expect(await liveCounts(stack)).toEqual({ pollers: 1, subscriptions: 2 });
      const terminatedInProject = stack.emulator.store.sessions().filter((s) => s.scope_id === project && s.status === "terminated");
      expect(terminatedInProject.length).toBeGreaterThan(0);
      expect(new Set(ids(allFirst))).toEqual(new Set([...ids(first), created, ...terminatedInProject.map((s) => s.id)]));

      // Terminated: a removal for the first subscriber (Boundary's refresh would just drop it), an update for the second.
      stack.emulator.store.setStatus(created, "terminated", "canceled");
      const gone = await sub.event(3);
      expect(gone.data!.sessionsChanged).toMatchObject({ items: [], removedIds: [created] });
      const ended = await all.event(2);
      expect(ended.data!.sessionsChanged).toMatchObject({
        items: [{ id: created, status: "TERMINATED", terminationReason: "canceled" }],
        removedIds: [],
      });

      const active = stack.emulator.store.sessions().find((s) => s.scope_id === project && s.status === "active")!;
      stack.emulator.store.deleteSession(active.id);
      expect((await sub.event(4)).data!.sessionsChanged).toMatchObject({ items: [], removedIds: [active.id] });
      expect((await all.event(3)).data!.sessionsChanged).toMatchObject({ items: [], removedIds: [active.id] });

      // Every poll asked for terminated sessions, whatever the subscribers asked.
      const polls = listCalls(stack, admin);
      expect(polls.length).toBeGreaterThan(3);
      expect(polls.every((c) => c.query.include_terminated === "true" && c.query.scope_id === project)).toBe(true);
      expect(sub.completed || all.completed).toBe(false);
    });

    it("shares one poller between two subscribers of one token (one refresh per interval), and stops polling when they leave", async () => {
      const interval = 60;
      const a = new Recorder(connect(stack, { token: admin }), CHANGED, { intervalMs: interval });
      await a.event(1);
      const b = new Recorder(connect(stack, { token: admin }), CHANGED, { intervalMs: interval });
      const bFirst = await b.event(1);
      // The second subscriber's first event is the shared listing, as the first one had it.
      expect(ids(bFirst)).toEqual(ids(a.events[0]!));
      expect(await liveCounts(stack)).toEqual({ pollers: 1, subscriptions: 2 });

      stack.emulator.clearCalls();
      await sleep(interval * 6);
      const polls = listCalls(stack, admin);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      expect(polls.length).toBeLessThanOrEqual(7);
      // One loop: each refresh starts at least one interval after the previous one.
      for (let i = 1; i < polls.length; i++) expect(polls[i]!.start - polls[i - 1]!.start).toBeGreaterThanOrEqual(interval * 0.9);

      const created = stack.emulator.store.createSession({});
      const [aNext, bNext] = await Promise.all([a.event(2), b.event(2)]);
      expect(ids(aNext)).toEqual([created]);
      expect(ids(bNext)).toEqual([created]);

      a.unsubscribe();
      await sleep(interval * 2);
      expect(await liveCounts(stack)).toEqual({ pollers: 1, subscriptions: 1 });
      b.unsubscribe();
      await expectPollers(stack, 0);
      // A refresh already under way may still land; after it, nothing.
      await sleep(interval);
      stack.emulator.clearCalls();
      await sleep(interval * 4);
      expect(listCalls(stack, admin)).toHaveLength(0);
    });

    it("shares nothing across tokens: equal arguments with two tokens make two pollers", async () => {
      const [alice, bob] = stack.emulator.tokens.users;
      const a = new Recorder(connect(stack, { token: alice!.token }), CHANGED, {});
      const b = new Recorder(connect(stack, { token: bob!.token }), CHANGED, {});
      const [aFirst, bFirst] = await Promise.all([a.event(1), b.event(1)]);
      expect(await liveCounts(stack)).toEqual({ pollers: 2, subscriptions: 2 });
      stack.emulator.clearCalls();
      await sleep(INTERVAL * 4);
      expect(listCalls(stack, alice!.token).length).toBeGreaterThanOrEqual(2);
      expect(listCalls(stack, bob!.token).length).toBeGreaterThanOrEqual(2);
      // Each saw its own listing.
      expect(aFirst.data!.sessionsChanged.items.every((s: { userId: string }) => s.userId === alice!.userId)).toBe(true);
      expect(bFirst.data!.sessionsChanged.items.every((s: { userId: string }) => s.userId === bob!.userId)).toBe(true);
    });

    it("shows a user token only its own sessions (token from the upgrade request's header)", async () => {
      const alice = stack.emulator.tokens.users[0]!;
      const bob = stack.emulator.tokens.users[1]!;
      const sub = new Recorder(connect(stack, { headers: { authorization: `Bearer ${alice.token}` } }), CHANGED, {});
      const first = await sub.event(1);
      const own = stack.emulator.store.sessions().filter((s) => s.user_id === alice.userId && s.status !== "terminated");
      expect(new Set(ids(first))).toEqual(new Set(own.map((s) => s.id)));

      const bobs = stack.emulator.store.createSession({ userId: bob.userId });
      await sleep(INTERVAL * 4);
      expect(sub.events).toHaveLength(1);
      const alices = stack.emulator.store.createSession({ userId: alice.userId });
      const next = await sub.event(2);
      expect(ids(next)).toEqual([alices]);
      expect(ids(next)).not.toContain(bobs);
    });

    it("lists again when the controller refuses the list token (grants changed), telling only the difference", async () => {
      const alice = stack.emulator.tokens.users[0]!;
      const sub = new Recorder(connect(stack, { token: alice.token }), CHANGED, {});
      const first = await sub.event(1);
      stack.emulator.store.changeGrants(alice.userId);
      const created = stack.emulator.store.createSession({ userId: alice.userId });
      const next = await sub.event(2);
      expect(next.errors).toBeUndefined();
      expect(ids(next)).toEqual([created]);
      expect(next.data!.sessionsChanged.listToken).not.toBe(first.data!.sessionsChanged.listToken);
      // The refused refresh, then a listing from scratch (no list_token) in the same poll.
      const polls = listCalls(stack, alice.token);
      const refused = polls.findIndex((c) => c.status === 400);
      expect(refused).toBeGreaterThan(0);
      expect(polls[refused + 1]).toMatchObject({ status: 200 });
      expect(polls[refused + 1]!.query.list_token).toBeUndefined();
      await sleep(INTERVAL * 3);
      expect(sub.events).toHaveLength(2);
    });

    it("resolves neighbours per event through fresh loaders: read once per event, never cached across events", async () => {
      const query = `subscription { sessionsChanged(scopeId: "${project}", recursive: false) { items { id userId user { id loginName } target { name } } } }`;
      const sub = new Recorder(connect(stack, { token: admin }), query);
      const first = await sub.event(1);
      expect(first.errors).toBeUndefined();
      const items = first.data!.sessionsChanged.items as { userId: string | null; user: { id: string; loginName: string } | null }[];
      const userIds = [...new Set(items.map((s) => s.userId).filter((u): u is string => u !== null))];
      expect(userIds.length).toBeGreaterThan(1);
      for (const s of items) if (s.userId) expect(s.user!.id).toBe(s.userId);
      // One read per distinct user in the first event.
      const userReads = () => callsTo(stack.emulator, "GET", /^\/v1\/users\//).map((c) => c.path);
      expect(userReads().sort()).toEqual(userIds.map((u) => `/v1/users/${u}`).sort());

      // A new session of a user already read: the next event reads that user again.
      const owner = userIds[0]!;
      const created = stack.emulator.store.createSession({ projectId: project, userId: owner });
      const next = await sub.event(2);
      expect(next.errors).toBeUndefined();
      expect(next.data!.sessionsChanged.items).toEqual([
        expect.objectContaining({ id: created, userId: owner, user: expect.objectContaining({ id: owner }) }),
      ]);
      expect(userReads().filter((p) => p === `/v1/users/${owner}`)).toHaveLength(2);
    });

    it("tells an upstream failure as an error event, retries with backoff, and resumes without losing a change", async () => {
      const sub = new Recorder(connect(stack, { token: admin }), CHANGED, { scopeId: project, recursive: false });
      await sub.event(1);
      // Every attempt of the next poll (the client's retries included) is reset.
      stack.emulator.faults.add({ kind: "reset", times: 3, match: /^GET \/v1\/sessions$/ });
      const created = stack.emulator.store.createSession({ projectId: project });
      const failed = await sub.event(2);
      expect(failed.data).toBeNull();
      expect(failed.errors![0]).toMatchObject({ path: ["sessionsChanged"], extensions: { code: "UPSTREAM_UNAVAILABLE" } });
      const resumed = await sub.event(3);
      expect(resumed.errors).toBeUndefined();
      expect(ids(resumed)).toEqual([created]);
      expect(sub.ended).toBe(false);
      expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
      // Backoff: the poll after the failed one waited two intervals, not one.
      const polls = listCalls(stack, admin);
      const resets = polls.filter((c) => c.status === 0);
      expect(resets).toHaveLength(3);
      const after = polls.find((c) => c.start > resets[2]!.start)!;
      expect(after.start - resets[2]!.end).toBeGreaterThanOrEqual(INTERVAL * 2 * 0.9);
    });
  });

  describe("the socket", () => {
    it("applies validation, query limits and the operation check before any upstream call, with Apollo's codes", async () => {
      const client = connect(stack, { token: admin });
      stack.emulator.clearCalls();
      const refusal = async (query: string) => {
        const sub = new Recorder(client, query);
        await sub.end();
        expect(sub.events).toHaveLength(0);
        return (sub.failure as { message: string; extensions?: Record<string, unknown> }[])[0]!;
      };
      const deep = `subscription { sessionsChanged { items { scope { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } }`;
      expect(await refusal(deep)).toMatchObject({ extensions: { code: "QUERY_TOO_COMPLEX", limit: "depth", max: 10 } });
      expect((await refusal(deep)).extensions).not.toHaveProperty("http");
      expect(await refusal(`subscription { sessionsChanged { nope } }`)).toMatchObject({
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      });
      expect(await refusal(`subscription {`)).toMatchObject({ extensions: { code: "GRAPHQL_PARSE_FAILED" } });
      expect(await refusal(`{ sessions(first: 1) { items { id } } }`)).toMatchObject({ extensions: { code: "BAD_REQUEST" } });
      const badVariable = new Recorder(client, UPDATED, { id: "s_1234567890", intervalMs: "soon" });
      await badVariable.end();
      expect((badVariable.failure as { extensions: unknown }[])[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
      expect(stack.emulator.calls).toHaveLength(0);
    });

    it("refuses a subscription past MAX_POLLERS with RATE_LIMITED, but still lets one share a running poller", async () => {
      const client = connect(stack, { token: admin });
      // Three of the allowed intervals (multiples of the 20 ms minimum: 20, 40, 80, 200, 400, 1200, 2400).
      const subs = [400, 1_200, 2_400].map(
        (intervalMs) => new Recorder(client, CHANGED, { scopeId: project, recursive: false, intervalMs }),
      );
      await Promise.all(subs.map((s) => s.event(1)));
      const over = new Recorder(client, CHANGED, { scopeId: project, recursive: false, intervalMs: 200 });
      await over.end();
      expect(over.events[0]!.errors![0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "MAX_POLLERS" });
      // 1000 ms rounds up to 1200 and shares that poller.
      const sharing = new Recorder(client, CHANGED, { scopeId: project, recursive: false, intervalMs: 1_000 });
      expect((await sharing.event(1)).errors).toBeUndefined();
      expect(await liveCounts(stack)).toEqual({ pollers: 3, subscriptions: 4 });
    });

    it("answers a subscription sent over HTTP with BAD_REQUEST", async () => {
      const res = await stack.gql(`subscription { sessionUpdated(id: "s_1234567890") { id } }`, {}, { token: admin });
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.extensions).toMatchObject({ code: "BAD_REQUEST" });
    });

    it("raises an interval below SUBSCRIPTION_MIN_INTERVAL_MS to it", async () => {
      const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
      const sub = new Recorder(connect(stack, { token: admin }), UPDATED, { id, intervalMs: 1 });
      await sub.event(1);
      await sleep(200);
      // At 1 ms there would be ~200 reads; at the 20 ms floor, at most 11.
      expect(callsTo(stack.emulator, "GET", new RegExp(`^/v1/sessions/${id}$`)).length).toBeLessThanOrEqual(11);
    });
  });
});

describe("subscriptions and credentials", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 30, seed: 22 }, env: FAST_ENV });
  });
  afterEach(disconnectAll);
  afterAll(() => stack.close());

  it("ends with UNAUTHENTICATED for an unknown token", async () => {
    const project = stack.emulator.store.scopeIds()[2]!;
    const unknown = "at_1234567890_s1" + "x".repeat(40);
    const sub = new Recorder(connect(stack, { token: unknown }), CHANGED, { scopeId: project, recursive: false });
    await sub.end();
    expect(sub.completed).toBe(true);
    expect(sub.events).toHaveLength(1);
    expect(sub.events[0]!.errors![0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED", upstream: { status: 401 } } });
    expect(sub.events[0]!.errors![0]!.message).toMatch(/Authentication required/);
    await expectPollers(stack, 0);
  });

  it("refuses a connection whose connection_init carries a credential that is not a string", async () => {
    const client = connect(stack, { connectionParams: { authorization: 42 } });
    const sub = new Recorder(client, CHANGED, {});
    await sub.end();
    expect((sub.failure as { code: number }).code).toBe(4403);
  });

  it("stops every poller of a token the controller refuses once it has expired", async () => {
    const alice = stack.emulator.tokens.users[0]!;
    const project = stack.emulator.store.scopeIds()[2]!;
    const own = stack.emulator.store.createSession({ projectId: project, userId: alice.userId, status: "active" });
    const client = connect(stack, { token: alice.token });
    // The listing polls rarely, the session often: the listing can only end through the session's 401.
    const listing = new Recorder(client, CHANGED, { scopeId: project, recursive: false, intervalMs: 60_000 });
    const session = new Recorder(client, UPDATED, { id: own });
    await Promise.all([listing.event(1), session.event(1)]);
    expect(await liveCounts(stack)).toEqual({ pollers: 2, subscriptions: 2 });
    const listsBefore = listCalls(stack, alice.token).length;

    // Demo tokens live 400 days.
    stack.emulator.clock.advance(401 * 24 * 3_600_000);
    await Promise.all([listing.end(), session.end()]);
    for (const sub of [listing, session]) {
      expect(sub.completed).toBe(true);
      expect(sub.events.at(-1)!.errors![0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    }
    expect(listCalls(stack, alice.token)).toHaveLength(listsBefore);
    await expectPollers(stack, 0);
  });
});

/** A stack whose gateway acts with the admin's token for requests that carry none (as in demo mode). */
async function startStackWithFallback(): Promise<Stack> {
  const base = await startStack({ emulator: { sessions: 30, seed: 23 }, env: FAST_ENV });
  await base.gateway.stop();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    NODE_ENV: "test",
    BOUNDARY_ADDR: base.emulator.url,
    ...FAST_ENV,
  });
  const gateway = await startGateway(config, { fallbackToken: base.emulator.tokens.admin.token });
  return {
    ...base,
    gateway,
    async close() {
      await gateway.stop();
      await base.emulator.close();
    },
  };
}

describe("subscriptions with the gateway's own token", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStackWithFallback();
  });
  afterEach(disconnectAll);
  afterAll(() => stack.close());

  it("lends it to clients that are not browsers and to same-origin pages, not to other origins", async () => {
    const everyone = stack.emulator.store.sessions().filter((s: WireSession) => s.status !== "terminated").length;

    const plain = new Recorder(connect(stack), CHANGED, {});
    expect(ids(await plain.event(1))).toHaveLength(everyone);

    const sameOrigin = new Recorder(connect(stack, { headers: { origin: stack.gateway.url } }), CHANGED, {});
    expect(ids(await sameOrigin.event(1))).toHaveLength(everyone);

    const foreign = new Recorder(connect(stack, { headers: { origin: "https://evil.example" } }), CHANGED, {});
    await foreign.end();
    // No token was sent (the fallback is not lent): the controller's 403 to the anonymous user's
    // recursive listing is reported as a missing token.
    expect(foreign.events[0]!.errors![0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED", upstream: { status: 403 } });

    // A page on another origin that brings its own token is served.
    const alice = stack.emulator.tokens.users[0]!;
    const withToken = new Recorder(connect(stack, { token: alice.token, headers: { origin: "https://console.example" } }), CHANGED, {});
    expect((await withToken.event(1)).errors).toBeUndefined();
  });

  it("closes open sockets (1001) and stops pollers promptly when the gateway stops", async () => {
    const client = connect(stack);
    let closedWith: number | undefined;
    client.on("closed", (e) => {
      closedWith = (e as { code: number }).code;
    });
    const sub = new Recorder(client, CHANGED, {});
    await sub.event(1);
    const started = Date.now();
    await stack.gateway.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    await sub.end();
    expect(closedWith).toBe(1001);
    // Closed, not completed: a client that reconnects subscribes again.
    expect(sub.completed).toBe(false);
    expect((sub.failure as { code: number }).code).toBe(1001);
    // Nothing polls any more.
    stack.emulator.clearCalls();
    await sleep(INTERVAL * 4);
    expect(stack.emulator.calls).toHaveLength(0);
  });
});

describe("a slow subscriber's queue", () => {
  const session = (id: string, version: number) => ({ id, version, status: "active" }) as WireSession;
  const delta = (items: WireSession[], removedIds: string[], initial = false): SessionsEvent => ({
    kind: "delta",
    initial,
    items,
    removedIds,
    listToken: "t",
  });

  it("holds at most one pending delta: later copies win, removals cancel earlier items", async () => {
    const stream = new EventStream<SessionsEvent>({ onReturn: () => {}, merge: mergeDeltas });
    stream.push(delta([session("s_a", 1), session("s_b", 1)], [], true));
    stream.push(delta([session("s_a", 2)], ["s_b", "s_x"]));
    stream.push({ kind: "error", error: new Error("down") });
    stream.push(delta([session("s_c", 1)], []));
    stream.end();
    const events: SessionsEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events).toEqual([
      // The first event stays a listing: nothing removed from what the subscriber never saw.
      delta([session("s_a", 2)], [], true),
      { kind: "error", error: new Error("down") },
      delta([session("s_c", 1)], []),
    ]);
  });

  it("lets go at once when the consumer returns, even while it waits for an event", async () => {
    let released = 0;
    const stream = new EventStream<SessionsEvent>({ onReturn: () => released++ });
    const pending = stream.next();
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(released).toBe(1);
    stream.push(delta([], ["s_a"]));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
