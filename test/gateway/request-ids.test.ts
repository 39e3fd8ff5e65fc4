/**
 * Request ids over the streaming transports: the WebSocket upgrade's answer and the SSE answers carry
 * `x-request-id`, each WebSocket operation has an id derived from its connection's and its own, and every
 * error sent for an operation (WebSocket `error` and `next`, SSE `next` events and refusals) carries its
 * id in `extensions.requestId`, as do the log lines of its errors. Real sockets, raw protocol messages.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startStack, type Stack } from "../helpers/harness.js";
import { captureLogs } from "../helpers/logs.js";

/** A made id: the process's random prefix and a counter (src/request-id.ts). */
const MADE = /^[A-Za-z0-9_-]+-[0-9a-z]+$/;
const MISSING = "s_0000000000";
const UPDATED = `subscription Updated($id: ID!) { sessionUpdated(id: $id) { id status } }`;
const CHANGED = `subscription Changed($scopeId: ID, $intervalMs: Int) { sessionsChanged(scopeId: $scopeId, recursive: false, intervalMs: $intervalMs) { removedIds } }`;

/** Every log line the gateway writes, parsed. */
const logs = captureLogs();
const { lines } = logs;

let stack: Stack;
let admin: string;
let project: string;

beforeAll(async () => {
  stack = await startStack({
    emulator: { sessions: 8, seed: 3 },
    env: { SUBSCRIPTION_MIN_INTERVAL_MS: "20", SUBSCRIPTION_DEFAULT_INTERVAL_MS: "50", UPSTREAM_LIST_BUDGET: "1000000", MAX_POLLERS: "1" },
    gateway: { logger: logs.logger("trace") },
  });
  admin = stack.emulator.tokens.admin.token;
  project = stack.emulator.store.scopeIds()[2]!;
});
afterAll(() => stack.close());

interface Message {
  type: string;
  id?: string;
  payload?: any;
}

/** A graphql-transport-ws socket spoken by hand, so that operation ids and messages are exact. */
class RawSocket {
  readonly messages: Message[] = [];
  upgradeId: string | undefined;
  private readonly socket: WebSocket;
  private readonly wakers = new Set<() => void>();
  readonly opened: Promise<void>;

  constructor(headers: Record<string, string> = {}) {
    const url = `${stack.gateway.url.replace(/^http/, "ws")}/graphql`;
    this.socket = new WebSocket(url, "graphql-transport-ws", { headers });
    this.socket.on("upgrade", (res: IncomingMessage) => (this.upgradeId = res.headers["x-request-id"] as string | undefined));
    this.socket.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      for (const w of this.wakers) w();
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
  }

  send(message: Message): void {
    this.socket.send(JSON.stringify(message));
  }

  async init(): Promise<void> {
    await this.opened;
    this.send({ type: "connection_init", payload: { authorization: `Bearer ${admin}` } });
    await this.until((m) => m.type === "connection_ack");
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.send({ type: "subscribe", id, payload: { query, variables } });
  }

  /** The first message that matches, waiting up to 3 s for it. */
  until(match: (m: Message) => boolean): Promise<Message> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.messages.find(match);
        if (!m) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(new Error(`no such message; got ${JSON.stringify(this.messages)}`));
      }, 3_000);
      this.wakers.add(check);
    });
  }

  close(): void {
    this.socket.close();
  }
}

const sockets = new Set<RawSocket>();
function open(headers?: Record<string, string>): RawSocket {
  const socket = new RawSocket(headers);
  sockets.add(socket);
  return socket;
}
afterEach(async () => {
  for (const s of sockets) s.close();
  sockets.clear();
  // Pollers stop asynchronously after their sockets close; MAX_POLLERS is 1.
  for (let i = 0; i < 100; i++) {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const running = text
      .split("\n")
      .filter((l) => l.startsWith("graphql_subscription_pollers{"))
      .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    if (running === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
});

describe("request ids over WebSocket", () => {
  it("answers the upgrade with the client's sane x-request-id, else with a new one", async () => {
    const sent = open({ "x-request-id": "ws-conn.1" });
    await sent.opened;
    expect(sent.upgradeId).toBe("ws-conn.1");

    const [bad, none] = [open({ "x-request-id": "bad id\twith a tab" }), open()];
    await Promise.all([bad.opened, none.opened]);
    expect(bad.upgradeId).toMatch(MADE);
    expect(none.upgradeId).toMatch(MADE);
    expect(bad.upgradeId).not.toBe(none.upgradeId);
  });

  it("answers a refused upgrade with an id too", async () => {
    const socket = new WebSocket(`${stack.gateway.url.replace(/^http/, "ws")}/nowhere`, "graphql-transport-ws", {
      headers: { "x-request-id": "ws-refused.1" },
    });
    // Only the answer's head is of interest: the request is dropped once it has come.
    socket.on("error", () => {});
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      socket.once("unexpected-response", (req, r) => {
        r.resume();
        req.destroy();
        resolve(r);
      });
      socket.once("open", () => reject(new Error("the upgrade was accepted")));
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers["x-request-id"]).toBe("ws-refused.1");
  });

  it("puts the operation's id (<connection id>:<operation id>) in its error messages", async () => {
    const socket = open({ "x-request-id": "ws-conn.2" });
    await socket.init();
    stack.emulator.clearCalls();
    socket.subscribe("v1", `subscription { sessionsChanged { nope } }`);
    const deep = `subscription { sessionsChanged { items { scope { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } }`;
    socket.subscribe("d1", deep);
    socket.subscribe("q1", `{ sessions(first: 1) { items { id } } }`);
    const validation = await socket.until((m) => m.id === "v1");
    expect(validation.type).toBe("error");
    expect(validation.payload).toEqual([
      expect.objectContaining({ extensions: { code: "GRAPHQL_VALIDATION_FAILED", requestId: "ws-conn.2:v1" } }),
    ]);
    const limit = await socket.until((m) => m.id === "d1");
    expect(limit.type).toBe("error");
    expect(limit.payload[0].extensions).toEqual({
      code: "QUERY_TOO_COMPLEX",
      limit: "depth",
      max: 10,
      actual: expect.any(Number),
      requestId: "ws-conn.2:d1",
    });
    const query = await socket.until((m) => m.id === "q1");
    expect(query.type).toBe("error");
    expect(query.payload[0].extensions).toEqual({ code: "BAD_REQUEST", requestId: "ws-conn.2:q1" });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("puts it in the errors of next payloads, refusals by the live layer included, and on the log line of an upstream failure", async () => {
    const socket = open({ "x-request-id": "ws-conn.3" });
    await socket.init();
    lines.length = 0;
    socket.subscribe("nf", UPDATED, { id: MISSING });
    const missing = await socket.until((m) => m.id === "nf" && m.type === "next");
    expect(missing.payload.errors).toEqual([
      expect.objectContaining({
        message: "Not found in Boundary.",
        path: ["sessionUpdated"],
        extensions: {
          code: "NOT_FOUND",
          upstream: { status: 404, kind: "NotFound", message: "Resource not found." },
          requestId: "ws-conn.3:nf",
        },
      }),
    ]);
    await socket.until((m) => m.id === "nf" && m.type === "complete");
    const logged = lines.filter((l) => l.msg === "upstream failure");
    expect(logged).toEqual([expect.objectContaining({ code: "NOT_FOUND", requestId: "ws-conn.3:nf" })]);

    // MAX_POLLERS is 1: a second poller is refused (RATE_LIMITED) in a next payload.
    socket.subscribe("p1", CHANGED, { scopeId: project, intervalMs: 400 });
    await socket.until((m) => m.id === "p1" && m.type === "next");
    socket.subscribe("p2", CHANGED, { scopeId: project, intervalMs: 1_200 });
    const over = await socket.until((m) => m.id === "p2" && m.type === "next");
    expect(over.payload.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "MAX_POLLERS", requestId: "ws-conn.3:p2" });
  });

  it("puts the request's id on the log line of an upstream failure over HTTP, through Apollo (GET) and the fast path (POST)", async () => {
    const query = `query Missing($id: ID!) { session(id: $id) { id } }`;
    const variables = JSON.stringify({ id: MISSING });
    for (const [method, id] of [
      ["GET", "http-get.1"],
      ["POST", "http-post.1"],
    ] as const) {
      lines.length = 0;
      const url = new URL(`${stack.gateway.url}/graphql`);
      if (method === "GET") {
        url.searchParams.set("query", query);
        url.searchParams.set("variables", variables);
      }
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          "x-request-id": id,
          "content-type": "application/json",
          "apollo-require-preflight": "1",
        },
        body: method === "POST" ? JSON.stringify({ query, variables: { id: MISSING } }) : undefined,
      });
      expect(res.headers.get("x-request-id")).toBe(id);
      const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(body.errors.map((e) => [e.extensions.code, e.extensions.requestId])).toEqual([["NOT_FOUND", id]]);
      const logged = lines.filter((l) => l.msg === "upstream failure");
      expect(logged).toEqual([expect.objectContaining({ code: "NOT_FOUND", requestId: id })]);
    }
  });

  it("derives a sane id from an operation id that is not, the same on every message", async () => {
    const socket = open();
    await socket.init();
    const connection = socket.upgradeId!;
    expect(connection).toMatch(MADE);
    const opId = "op with spaces/and\ttabs";
    const digest = createHash("sha256").update(opId).digest("base64url").slice(0, 16);
    socket.subscribe(opId, `subscription { sessionsChanged { nope } }`);
    const refused = await socket.until((m) => m.id === opId);
    expect(refused.payload[0].extensions.requestId).toBe(`${connection}:${digest}`);
  });
});

/** Reads an event stream until `done` holds for what arrived; the text so far. */
async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => void reader.cancel(), 3_000);
  try {
    while (!done(text)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(deadline);
    void reader.cancel();
  }
  return text;
}

/** The data of each `next` event in an event stream's text. */
function nextEvents(text: string): any[] {
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("event: next"))
    .map((e) => JSON.parse(e.slice(e.indexOf("data: ") + 6)));
}

describe("request ids over SSE", () => {
  const url = () => `${stack.gateway.url}/graphql/stream`;

  it("puts the POST's id in the errors of its event stream (distinct connections)", async () => {
    const res = await fetch(url(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${admin}`,
        "x-request-id": "sse-op.1",
      },
      body: JSON.stringify({ query: UPDATED, variables: { id: MISSING } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("sse-op.1");
    const events = nextEvents(await readUntil(res, (t) => t.includes("event: complete")));
    expect(events).toHaveLength(1);
    expect(events[0].errors[0].extensions).toEqual({
      code: "NOT_FOUND",
      upstream: { status: 404, kind: "NotFound", message: "Resource not found." },
      requestId: "sse-op.1",
    });
  });

  it("answers PUT, GET, POST and DELETE of a reserved stream with their ids, and an operation's errors carry its POST's", async () => {
    const auth = { authorization: `Bearer ${admin}` };
    const put = await fetch(url(), { method: "PUT", headers: { ...auth, "x-request-id": "sse-put.1" } });
    expect(put.status).toBe(201);
    expect(put.headers.get("x-request-id")).toBe("sse-put.1");
    const token = await put.text();
    const stream = await fetch(`${url()}?token=${token}`, {
      headers: { ...auth, accept: "text/event-stream", "x-request-id": "sse-stream.1" },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("x-request-id")).toBe("sse-stream.1");

    const post = await fetch(url(), {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "x-graphql-event-stream-token": token, "x-request-id": "sse-op.2" },
      body: JSON.stringify({ query: UPDATED, variables: { id: MISSING }, extensions: { operationId: "o1" } }),
    });
    expect(post.status).toBe(202);
    expect(post.headers.get("x-request-id")).toBe("sse-op.2");
    const text = await readUntil(stream, (t) => t.includes("event: complete"));
    const [event] = nextEvents(text);
    expect(event.id).toBe("o1");
    expect(event.payload.errors[0].extensions).toEqual({
      code: "NOT_FOUND",
      upstream: { status: 404, kind: "NotFound", message: "Resource not found." },
      requestId: "sse-op.2",
    });

    const del = await fetch(`${url()}?token=${token}&operationId=o1`, {
      method: "DELETE",
      headers: { ...auth, "x-request-id": "sse-del.1" },
    });
    expect(del.headers.get("x-request-id")).toBe("sse-del.1");
  });

  it("puts the request's id in a refusal", async () => {
    const put = await fetch(url(), { method: "PUT", headers: { authorization: "Bearer one" } });
    const token = await put.text();
    const stolen = await fetch(`${url()}?token=${token}`, {
      headers: { authorization: "Bearer two", accept: "text/event-stream", "x-request-id": "sse-refused.1" },
    });
    expect(stolen.status).toBe(403);
    expect(stolen.headers.get("x-request-id")).toBe("sse-refused.1");
    const body = (await stolen.json()) as { errors: { extensions: unknown }[] };
    expect(body.errors[0]!.extensions).toEqual({ code: "FORBIDDEN", requestId: "sse-refused.1" });
  });
});
