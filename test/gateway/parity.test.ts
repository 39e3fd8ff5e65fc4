/**
 * One operation, one answer, whatever carries it: the same table of operations goes through HTTP POST
 * (the fast path for what it takes, Apollo Server for the rest), HTTP GET (always Apollo Server) and,
 * for the same operation written as a subscription, WebSocket. POST and GET must answer byte for byte
 * alike (status and body); WebSocket must give the same data and the same errors (messages, codes,
 * extensions, and paths once the root field's name is swapped). Every answer goes through the execution
 * core (src/execution/), which is what this test holds in place.
 */
import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;
let alice: string;
let mine: string;
let foreign: string;
let ws: Client;
let wsAlice: Client;
/** The id the next WebSocket operation is sent with (graphql-ws's `generateID`). */
let operationId = "";

beforeAll(async () => {
  stack = await startStack({ env: { MAX_DEPTH: "4", MAX_ALIASES: "3", MAX_COST: "50", UPSTREAM_RETRIES: "0" } });
  admin = stack.emulator.tokens.admin.token;
  alice = stack.emulator.tokens.users[0]!.token;
  const all = await stack.gql(`{ sessions(first: 60, includeTerminated: true) { items { id userId } } }`, {}, { token: admin });
  const aliceUser = (await stack.gql(`{ sessions(first: 1, includeTerminated: true) { items { userId } } }`, {}, { token: alice })).body
    .data!.sessions.items[0].userId;
  const items = all.body.data!.sessions.items as { id: string; userId: string }[];
  mine = items.find((s) => s.userId === aliceUser)!.id;
  foreign = items.find((s) => s.userId !== aliceUser)!.id;
  const connect = (token: string, requestId: string) => {
    class Socket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { "x-request-id": requestId } });
      }
    }
    return createClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: Socket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      generateID: () => operationId,
    });
  };
  ws = connect(admin, "parity-ws-admin");
  wsAlice = connect(alice, "parity-ws-alice");
});
afterAll(async () => {
  await ws?.dispose();
  await wsAlice?.dispose();
  await stack?.close();
});

interface Case {
  name: string;
  /** The query, with `ROOT(...)` where the root field goes: `session` over HTTP, `sessionUpdated` over WebSocket. */
  text: string;
  variables?: () => Record<string, unknown>;
  token?: () => string;
  /** Set up the controller's failure before each transport's run. */
  before?: () => void;
  /** The expected code of the first error (undefined: no error), so the table cannot pass by all failing alike. */
  code: string | undefined;
  /** The operation cannot be a subscription of the same shape (no WebSocket run). */
  httpOnly?: boolean;
}

const deep = (n: number) => `${"scope { parent { ".repeat(1)}${"parent { ".repeat(n)}id${" }".repeat(n)} } }`;
const CASES: Case[] = [
  {
    name: "a valid read",
    text: `query Q($id: ID!) { ROOT(id: $id) { id status userId states { status } } }`,
    variables: () => ({ id: mine }),
    code: undefined,
  },
  {
    name: "a syntax error",
    text: `query Q($id: ID!) { ROOT(id: $id) { id status `,
    variables: () => ({ id: mine }),
    code: "GRAPHQL_PARSE_FAILED",
  },
  {
    name: "an unknown field",
    text: `query Q($id: ID!) { ROOT(id: $id) { id nope } }`,
    variables: () => ({ id: mine }),
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    name: "over the depth limit",
    text: `query Q($id: ID!) { ROOT(id: $id) { ${deep(3)} } }`,
    variables: () => ({ id: mine }),
    code: "QUERY_TOO_COMPLEX",
  },
  {
    name: "over the alias limit",
    text: `query Q($id: ID!) { ROOT(id: $id) { a: id b: id c: id d: id } }`,
    variables: () => ({ id: mine }),
    code: "QUERY_TOO_COMPLEX",
  },
  {
    name: "over the cost limit",
    text: `{ sessions(includeTerminated: true) { items { id connections { bytesUp } } } }`,
    code: "QUERY_TOO_COMPLEX",
    httpOnly: true,
  },
  {
    name: "a variable of the wrong type",
    text: `query Q($id: ID!) { ROOT(id: $id) { id } }`,
    variables: () => ({ id: { not: "an id" } }),
    code: "BAD_USER_INPUT",
  },
  {
    name: "an upstream 404",
    text: `query Q($id: ID!) { ROOT(id: $id) { id status } }`,
    variables: () => ({ id: "s_0000000000" }),
    code: "NOT_FOUND",
  },
  {
    name: "an upstream 403",
    text: `query Q($id: ID!) { ROOT(id: $id) { id status } }`,
    variables: () => ({ id: foreign }),
    token: () => alice,
    code: "FORBIDDEN",
  },
  {
    name: "an upstream 500",
    text: `query Q($id: ID!) { ROOT(id: $id) { id status } }`,
    variables: () => ({ id: mine }),
    before: () => stack.emulator.faults.add({ kind: "status", status: 500, times: 1, match: /^GET \/v1\/sessions\/s_/ }),
    code: "UPSTREAM_ERROR",
  },
];

const httpText = (c: Case) => c.text.replace("ROOT", "session");
const wsText = (c: Case) => c.text.replace(/^query/, "subscription").replace("ROOT", "sessionUpdated");

/** One id for both HTTP requests of a case: errors name their request, and the two bodies stay comparable byte for byte. */
const idOf = (c: Case) => `parity-${c.name.replace(/[^A-Za-z0-9]+/g, "-")}`;

async function viaPost(c: Case) {
  c.before?.();
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${(c.token ?? (() => admin))()}`, "x-request-id": idOf(c) },
    body: JSON.stringify({ query: httpText(c), variables: c.variables?.() }),
  });
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.text() };
}

async function viaGet(c: Case) {
  c.before?.();
  const params = new URLSearchParams({ query: httpText(c) });
  if (c.variables) params.set("variables", JSON.stringify(c.variables()));
  const res = await fetch(`${stack.gateway.url}/graphql?${params}`, {
    headers: { authorization: `Bearer ${(c.token ?? (() => admin))()}`, "apollo-require-preflight": "true", "x-request-id": idOf(c) },
  });
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.text() };
}

/** The first message of a subscription: its first result, or the errors it was refused with. */
function viaWs(c: Case): Promise<{ data?: unknown; errors?: readonly unknown[] }> {
  c.before?.();
  const client = c.token?.() === alice ? wsAlice : ws;
  operationId = idOf(c);
  return new Promise((resolve) => {
    const stop = client.subscribe(
      { query: wsText(c), variables: c.variables?.() },
      {
        next: (r: FormattedExecutionResult) => {
          stop();
          resolve({ data: r.data, errors: r.errors });
        },
        error: (errors) => resolve({ errors: errors as readonly unknown[] }),
        complete: () => resolve({}),
      },
    );
  });
}

/** An HTTP answer's errors and data as a WebSocket client would compare them. */
function comparable(body: {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: unknown }[];
}) {
  return {
    data: body.data?.session ?? null,
    errors: body.errors?.map((e) => ({
      message: e.message,
      path: e.path?.map((p) => (p === "session" ? "ROOT" : p)),
      // Each transport's errors carry their own request's id, compared apart.
      extensions: withoutRequestId(e.extensions),
    })),
  };
}

function withoutRequestId(extensions: unknown) {
  const { requestId: _, ...rest } = (extensions ?? {}) as Record<string, unknown>;
  return extensions === undefined ? undefined : rest;
}

describe("every transport gives one answer", () => {
  for (const c of CASES) {
    it(`${c.name}: POST and GET answer alike${c.httpOnly ? "" : ", and so does WebSocket"}`, async () => {
      const post = await viaPost(c);
      const get = await viaGet(c);
      expect(get, c.name).toEqual(post);
      const body = JSON.parse(post.body);
      expect(body.errors?.[0]?.extensions?.code, `${c.name}: ${post.body}`).toBe(c.code);
      if (c.code !== undefined) expect(body.errors[0].extensions.requestId).toBe(idOf(c));
      if (c.code === undefined) expect(body.data.session.id).toBe(c.variables!().id);
      if (c.httpOnly) return;
      const viaSocket = await viaWs(c);
      const http = comparable(body);
      const socketErrors = viaSocket.errors as { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] | undefined;
      expect(
        {
          data: (viaSocket.data as Record<string, unknown> | undefined)?.sessionUpdated ?? null,
          errors: socketErrors?.map((e) => ({
            message: e.message,
            path: e.path?.map((p) => (p === "sessionUpdated" ? "ROOT" : p)),
            extensions: withoutRequestId(e.extensions),
          })),
        },
        c.name,
      ).toEqual(http);
      // A WebSocket operation's id: its connection's (the upgrade's) and its own.
      const connection = c.token?.() === alice ? "parity-ws-alice" : "parity-ws-admin";
      for (const e of socketErrors ?? []) expect(e.extensions?.requestId).toBe(`${connection}:${idOf(c)}`);
    });
  }
});
