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

/** Opens a raw event stream (distinct connections) and reads it until it ends. */
async function openStream(stack: Stack, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${stack.gateway.url}/graphql/stream`, {
    method: "POST",
    headers: { accept: "text/event-stream", "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = "";
  const ended = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      text += new TextDecoder().decode(chunk.value);
    }
  })();
  return { ended, text: () => text };
}

type ErrorBody = { errors: { extensions: Record<string, unknown> }[] };

describe("SSE bounds", () => {
  let stack: Stack;
  const url = () => `${stack.gateway.url}/graphql/stream`;
  beforeAll(async () => {
    stack = await startStack({ env: { ...FAST_ENV, MAX_BODY_BYTES: "2048", MAX_POLLERS_PER_TOKEN: "2", MAX_CONNECTIONS: "6" } });
  });
  afterAll(() => stack?.close());

  it("refuses a body over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE, on POST and PUT", async () => {
    const query = `{ __typename ${"x".repeat(4000)} }`;
    const post = await fetch(url(), {
      method: "POST",
      headers: { accept: "text/event-stream", "content-type": "application/json", authorization: "Bearer big" },
      body: JSON.stringify({ query }),
    });
    expect(post.status).toBe(413);
    expect(((await post.json()) as ErrorBody).errors[0]!.extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const put = await fetch(url(), { method: "PUT", headers: { authorization: "Bearer big" }, body: "x".repeat(4000) });
    expect(put.status).toBe(413);
    expect(((await put.json()) as ErrorBody).errors[0]!.extensions.code).toBe("PAYLOAD_TOO_LARGE");
    // Within the limit, the same route answers as before.
    const small = await fetch(url(), { method: "PUT", headers: { authorization: "Bearer small" } });
    expect(small.status).toBe(201);
  });

  it("refuses reservations past MAX_POLLERS_PER_TOKEN per token and past MAX_CONNECTIONS in all", async () => {
    const put = (token: string) => fetch(url(), { method: "PUT", headers: { authorization: `Bearer ${token}` } });
    // "small" holds one from the test above.
    expect((await put("a")).status).toBe(201);
    expect((await put("a")).status).toBe(201);
    const third = await put("a");
    expect(third.status).toBe(429);
    expect(((await third.json()) as ErrorBody).errors[0]!.extensions).toMatchObject({
      code: "RATE_LIMITED",
      limit: "MAX_POLLERS_PER_TOKEN",
    });
    const statuses = [];
    for (const token of ["b", "c", "d", "e"]) statuses.push((await put(token)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const last = await put("f");
    expect(((await last.json()) as ErrorBody).errors[0]!.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "MAX_CONNECTIONS" });
  });
});

describe("SSE reservations that never connect", () => {
  let stack: Stack;
  beforeAll(async () => {
    // A reservation lives as long as a request may take.
    stack = await startStack({ env: { ...FAST_ENV, HTTP_REQUEST_TIMEOUT_MS: "1000", HTTP_HEADERS_TIMEOUT_MS: "1000" } });
  });
  afterAll(() => stack?.close());

  it("expire with what was POSTed to them: the token is unknown afterwards and the poller is released", async () => {
    const url = `${stack.gateway.url}/graphql/stream`;
    const admin = stack.emulator.tokens.admin.token;
    const id = stack.emulator.store.createSession({ projectId: stack.emulator.store.scopeIds()[2]!, status: "active" });
    const put = await fetch(url, { method: "PUT", headers: { authorization: `Bearer ${admin}` } });
    expect(put.status).toBe(201);
    const token = await put.text();
    const post = (operationId: string) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}`, "x-graphql-event-stream-token": token },
        body: JSON.stringify({ query: UPDATED, variables: { id }, extensions: { operationId } }),
      });
    expect((await post("1")).status).toBe(202);
    await expectPollers(stack, 1);
    await expectPollers(stack, 0);
    const late = await post("2");
    expect(late.status).toBe(404);
    expect(((await late.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe("Stream not found");
  });
});

describe("SSE hooks and metrics", () => {
  let stack: Stack;
  const seen: { transport: string; codes: unknown[] | undefined }[] = [];
  beforeAll(async () => {
    const hook = {
      name: "record",
      after: (request: { transport: string }, outcome: { errors: readonly { extensions?: Record<string, unknown> }[] | undefined }) =>
        seen.push({ transport: request.transport, codes: outcome.errors?.map((e) => e.extensions?.code) }),
    };
    stack = await startStack({ env: FAST_ENV, gateway: { hooks: [hook] } });
  });
  afterAll(() => stack?.close());

  async function executions(): Promise<number> {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("graphql_subscription_executions_total"));
    return Number(line?.split(" ").pop() ?? 0);
  }

  it("passes the errors a subscription ended with to after", async () => {
    const stream = await openStream(stack, stack.emulator.tokens.admin.token, UPDATED, { id: "s_0000000000" });
    await stream.ended;
    expect(stream.text()).toContain('"code":"NOT_FOUND"');
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ transport: "sse", codes: ["NOT_FOUND"] }]);
  });

  it("counts its event executions in graphql_subscription_executions_total", async () => {
    const before = await executions();
    const id = stack.emulator.store.createSession({ projectId: stack.emulator.store.scopeIds()[2]!, status: "active" });
    const sub = collect(connect(stack, false, stack.emulator.tokens.admin.token), UPDATED, { id }, 1);
    await sub.ended;
    expect(sub.results[0]!.data!.sessionUpdated.id).toBe(id);
    expect(await executions()).toBe(before + 1);
    sub.dispose();
    for (const c of clients) c.dispose();
    clients.clear();
    await expectPollers(stack, 0);
  });
});

describe("SSE on stop", () => {
  it("ends every open stream at once and stop() resolves within the drain grace", async () => {
    const stack = await startStack({ env: FAST_ENV });
    try {
      const url = `${stack.gateway.url}/graphql/stream`;
      const admin = stack.emulator.tokens.admin.token;
      const id = stack.emulator.store.createSession({ projectId: stack.emulator.store.scopeIds()[2]!, status: "active" });
      const distinct = await openStream(stack, admin, UPDATED, { id });
      // A reserved stream with nothing on it: only the gateway can end it.
      const put = await fetch(url, { method: "PUT", headers: { authorization: `Bearer ${admin}` } });
      const token = await put.text();
      const get = await fetch(`${url}?token=${token}`, { headers: { accept: "text/event-stream", authorization: `Bearer ${admin}` } });
      expect(get.status).toBe(200);
      const reserved = get.body!.getReader();
      const reservedEnded = (async () => {
        while (!(await reserved.read().catch(() => ({ done: true }))).done);
      })();
      for (let i = 0; i < 100 && !distinct.text().includes(id); i++) await new Promise((r) => setTimeout(r, 20));
      await expectPollers(stack, 1);
      const started = Date.now();
      await stack.gateway.stop();
      // Apollo's drain cuts connections still open after its 10 s grace; the streams must not wait for it.
      expect(Date.now() - started).toBeLessThan(10_000);
      await distinct.ended;
      await reservedEnded;
      expect(distinct.text()).toContain(`"id":"${id}"`);
    } finally {
      await stack.close();
    }
  });
});
