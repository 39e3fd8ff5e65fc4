/**
 * Subscriptions and queries over SSE (graphql-sse's client, both modes) against the emulator; the
 * emulator's call log and /metrics show what reached the controller and which pollers run.
 */
import { createClient, type Client, type ExecutionResult } from "graphql-sse";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

const FAST_ENV = { SUBSCRIPTION_MIN_INTERVAL_MS: "20", SUBSCRIPTION_DEFAULT_INTERVAL_MS: "50", UPSTREAM_LIST_BUDGET: "1000000" };
const UPDATED = "subscription ($id: ID!) { sessionUpdated(id: $id) { id status version } }";
const CHANGED = "subscription ($scopeId: ID!) { sessionsChanged(scopeId: $scopeId, recursive: false) { removedIds } }";
type Result = ExecutionResult<Record<string, any>, unknown>;

const clients = new Set<Client>();
function connect(stack: Stack, singleConnection: boolean, token: string | undefined): Client {
  const client = createClient({
    url: `${stack.gateway.url}/graphql/stream`,
    singleConnection,
    retryAttempts: 0,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  clients.add(client);
  return client;
}

/** Collects one operation's results until `count` arrived or it ended. */
function collect(client: Client, query: string, variables: Record<string, unknown>, count: number) {
  const results: Result[] = [];
  let failure: unknown;
  let dispose = () => {};
  const ended = new Promise<void>((resolve) => {
    dispose = client.subscribe<Record<string, any>>(
      { query, variables },
      {
        next: (r) => {
          results.push(r);
          if (results.length >= count) resolve();
        },
        error: (e) => {
          failure = e;
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return { results, ended, dispose, failure: () => failure };
}

async function pollers(stack: Stack): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("graphql_subscription_pollers"))
    .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
}
async function expectPollers(stack: Stack, n: number): Promise<void> {
  for (let i = 0; i < 100 && (await pollers(stack)) !== n; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await pollers(stack)).toBe(n);
}

describe.each([
  ["single connection", true],
  ["distinct connections", false],
])("SSE, %s", (_mode, single) => {
  let stack: Stack;
  let admin: string;
  let project: string;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { sessions: 20, seed: 5, cancelDelayMs: 60_000 },
      env: { ...FAST_ENV, MAX_SUBSCRIPTIONS_PER_CONNECTION: "1" },
    });
    admin = stack.emulator.tokens.admin.token;
    project = stack.emulator.store.scopeIds()[2]!;
  });
  afterEach(async () => {
    for (const c of clients) c.dispose();
    clients.clear();
    await expectPollers(stack, 0);
  });
  afterAll(() => stack?.close());

  it("sends the session, then its change after a cancel", async () => {
    const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
    const sub = collect(connect(stack, single, admin), UPDATED, { id }, 2);
    for (let i = 0; i < 100 && sub.results.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sub.results[0]).toEqual({ data: { sessionUpdated: { id, status: "ACTIVE", version: expect.any(Number) } } });
    const cancel = await stack.gql(`mutation { cancelSession(id: "${id}") { status } }`, {}, { token: admin });
    expect(cancel.body.data!.cancelSession.status).toBe("CANCELING");
    await sub.ended;
    expect(sub.results[1]!.data!.sessionUpdated.status).toBe("CANCELING");
    sub.dispose();
  });

  it("runs a query through the core", async () => {
    const q = collect(connect(stack, single, admin), "{ sessions(first: 2) { items { id } } }", {}, 1);
    await q.ended;
    expect(q.results[0]!.data!.sessions.items).toHaveLength(2);
  });

  it("releases the poller when the client goes away", async () => {
    const id = stack.emulator.store.createSession({ projectId: project, status: "active" });
    const client = connect(stack, single, admin);
    const sub = collect(client, UPDATED, { id }, 1);
    await sub.ended;
    await expectPollers(stack, 1);
    client.dispose();
    sub.dispose();
    await expectPollers(stack, 0);
  });

  it("ends with UNAUTHENTICATED for an unknown token, as over WebSocket", async () => {
    const sub = collect(connect(stack, single, "at_1234567890_s1" + "x".repeat(40)), CHANGED, { scopeId: project }, 1);
    await sub.ended;
    expect(sub.results[0]!.errors![0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});

describe("SSE single-connection streams", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...FAST_ENV, MAX_SUBSCRIPTIONS_PER_CONNECTION: "1" } });
  });
  afterAll(() => stack?.close());

  it("refuses a stream token presented with another Authorization", async () => {
    const url = `${stack.gateway.url}/graphql/stream`;
    const put = await fetch(url, { method: "PUT", headers: { authorization: "Bearer one" } });
    expect(put.status).toBe(201);
    const token = await put.text();
    const stolen = await fetch(`${url}?token=${token}`, { headers: { authorization: "Bearer two", accept: "text/event-stream" } });
    expect(stolen.status).toBe(403);
    expect(((await stolen.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe("FORBIDDEN");
  });

  it("refuses a subscription past MAX_SUBSCRIPTIONS_PER_CONNECTION on one stream with RATE_LIMITED", async () => {
    const admin = stack.emulator.tokens.admin.token;
    const id = stack.emulator.store.createSession({ projectId: stack.emulator.store.scopeIds()[2]!, status: "active" });
    const client = connect(stack, true, admin);
    const first = collect(client, UPDATED, { id }, 1);
    await first.ended;
    const second = collect(client, UPDATED, { id }, 1);
    await second.ended;
    expect(second.failure()).toBeUndefined();
    expect(second.results[0]!.errors![0]).toMatchObject({
      extensions: { code: "RATE_LIMITED", limit: "MAX_SUBSCRIPTIONS_PER_CONNECTION" },
    });
    expect(first.results[0]!.data!.sessionUpdated.id).toBe(id);
    client.dispose();
    clients.clear();
    await expectPollers(stack, 0);
  });
});
