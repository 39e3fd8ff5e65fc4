/**
 * Attacks on the HTTP edge: operation names that bloat /metrics and the logs, DNS rebinding onto the
 * gateway's own token, oversized ids and filters, and slow or numerous connections. Each test is named
 * after the symptom it used to cause.
 */
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startGateway } from "../../src/server.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { expectResponsive } from "../helpers/responsive.js";

/** A raw HTTP/1.1 request on a new socket; resolves with the status line and whole answer. */
function rawRequest(url: string, lines: string[], body = ""): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`));
    let text = "";
    socket.on("data", (c) => (text += c.toString("latin1")));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("operation names", () => {
  let stack: Stack;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(
          ...chunk
            .toString("utf8")
            .split("\n")
            .filter((l) => l !== ""),
        );
        done();
      },
    });
    stack = await startStack({ env: { LOG_LEVEL: "info" }, gateway: { logger: createLogger("info", sink) } });
  });
  afterAll(() => stack.close());

  it("huge operation names no longer bloat /metrics or the log lines", async () => {
    const before = lines.length;
    for (let i = 0; i < 40; i++) {
      const name = `Op${i}${"x".repeat(100_000)}`;
      const res = await stack.gql(`query ${name} { __typename }`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ __typename: "Query" });
    }
    const metrics = await fetch(`${stack.gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    // 40 names of 100 KB: the old gateway's exposition held them all (4 MB and more).
    expect(text.length).toBeLessThan(200_000);
    expect(text).toContain('graphql_requests_total{operation="other",outcome="success"} 40');
    const requestLines = lines.slice(before).filter((l) => l.includes('"graphql request"'));
    expect(requestLines).toHaveLength(40);
    for (const line of requestLines) expect(line.length).toBeLessThan(1_000);
    // A sane name keeps its own label.
    await stack.gql("query ReadOne { __typename }");
    expect(await (await fetch(`${stack.gateway.url}/metrics`)).text()).toContain(
      'graphql_requests_total{operation="ReadOne",outcome="success"} 1',
    );
    await expectResponsive(stack.gateway.url, stack.emulator);
  });
});

describe("METRICS_PORT", () => {
  it("serves /metrics on its own port and not on the GraphQL port", async () => {
    const stack = await startStack({ env: { METRICS_PORT: "0" } });
    try {
      await stack.gql("query Counted { __typename }");
      const metricsUrl = (stack.gateway as { metricsUrl?: string }).metricsUrl;
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(metricsUrl).not.toBe(stack.gateway.url);
      const own = await fetch(`${metricsUrl}/metrics`);
      expect(own.status).toBe(200);
      expect(await own.text()).toContain('graphql_requests_total{operation="Counted",outcome="success"} 1');
      const onGraphqlPort = await fetch(`${stack.gateway.url}/metrics`);
      expect(onGraphqlPort.status).toBe(404);
      await onGraphqlPort.body?.cancel();
    } finally {
      await stack.close();
    }
  });
});

describe("the gateway's own token (BOUNDARY_TOKEN, demo admin)", () => {
  let stack: Stack;
  let sessionId: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 20 }, fallbackToAdmin: true });
    sessionId = stack.emulator.store.sessions().find((s) => s.status === "active" || s.status === "pending")!.id;
  });
  afterAll(() => stack.close());

  const cancel = (extra: string[]) => {
    const body = JSON.stringify({ query: `mutation { cancelSession(id: "${sessionId}") { id status } }` });
    const { port } = new URL(stack.gateway.url);
    return rawRequest(
      stack.gateway.url,
      [
        "POST /graphql HTTP/1.1",
        ...extra,
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Connection: close",
      ].map((l) => l.replace("$PORT", port)),
      body,
    );
  };

  it("a DNS-rebinding request (Host and Origin both the attacker's) no longer cancels a session with the fallback token", async () => {
    const answer = await cancel(["Host: evil.example:$PORT", "Origin: http://evil.example:$PORT"]);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"BAD_REQUEST"');
    expect(answer).toContain("ALLOWED_HOSTS");
    expect(callsTo(stack.emulator, "POST", /:cancel$/)).toHaveLength(0);
    expect(stack.emulator.store.session(sessionId)!.status).not.toBe("canceling");
    await expectResponsive(stack.gateway.url, stack.emulator);
  });

  it("a mutation without a token of its own is refused, even from an allowed host", async () => {
    const answer = await cancel(["Host: 127.0.0.1:$PORT"]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"code":"UNAUTHENTICATED"');
    expect(callsTo(stack.emulator, "POST", /:cancel$/)).toHaveLength(0);
  });

  it("a request from another origin is not lent the fallback token", async () => {
    const before = stack.emulator.calls.length;
    const res = await stack.gql("{ sessions(first: 1) { items { id } } }", undefined, { headers: { origin: "http://other.example" } });
    expect(res.body.errors?.[0]?.extensions?.code).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
    const calls = stack.emulator.calls.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c.authorization).toBeUndefined();
    // The same request from the gateway's own origin (or no browser) reads with the fallback token.
    const same = await stack.gql("{ sessions(first: 1) { items { id } } }", undefined, { headers: { origin: stack.gateway.url } });
    expect(same.body.errors).toBeUndefined();
    expect(same.body.data!.sessions.items).toHaveLength(1);
  });

  it("a WebSocket upgrade with an unknown Host is refused before the handshake", async () => {
    const { port } = new URL(stack.gateway.url);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", {
        headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("upgrade accepted")));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(400);
  });

  it("probes answer whatever the Host, as a kubelet sends the pod's address", async () => {
    const answer = await rawRequest(stack.gateway.url, ["GET /healthz HTTP/1.1", "Host: 10.1.2.3:4000", "Connection: close"]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe("ALLOWED_HOSTS", () => {
  it("lists the names served; others get 400 before anything runs", async () => {
    const stack = await startStack({ env: { ALLOWED_HOSTS: "gateway.example" } });
    try {
      const ok = await rawRequest(stack.gateway.url, [
        "GET /graphql?query=%7B__typename%7D HTTP/1.1",
        "Host: gateway.example:4000",
        "Apollo-Require-Preflight: 1",
        "Connection: close",
      ]);
      expect(ok).toMatch(/^HTTP\/1\.1 200 /);
      expect(ok).toContain('{"data":{"__typename":"Query"}}');
      const refused = await rawRequest(stack.gateway.url, [
        "GET /graphql?query=%7B__typename%7D HTTP/1.1",
        "Host: 127.0.0.1",
        "Apollo-Require-Preflight: 1",
        "Connection: close",
      ]);
      expect(refused).toMatch(/^HTTP\/1\.1 400 /);
    } finally {
      await stack.close();
    }
  });
});

describe("oversized arguments", () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 10 } });
    admin = stack.emulator.tokens.admin.token;
  });
  afterAll(() => stack.close());

  it("a 100 KB id is refused as BAD_USER_INPUT without reaching the controller", async () => {
    const before = stack.emulator.calls.length;
    const id = `s_${"a".repeat(100_000)}`;
    const res = await stack.gql("query($id: ID!) { session(id: $id) { id } }", { id }, { token: admin });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message.length).toBeLessThan(300);
    const node = await stack.gql("query($id: ID!) { node(id: $id) { id } }", { id: `u_${"b".repeat(200)}` }, { token: admin });
    expect(node.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const scope = await stack.gql("query($id: ID!) { scope(id: $id) { id } }", { id: `o_${"c".repeat(129)}` }, { token: admin });
    expect(scope.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(stack.emulator.calls.length).toBe(before);
  });

  it("a filter over 8 KB is refused as BAD_USER_INPUT without reaching the controller", async () => {
    const before = stack.emulator.calls.length;
    const filter = `"/item/id" == "${"x".repeat(9_000)}"`;
    const res = await stack.gql("query($f: String) { sessions(filter: $f) { items { id } } }", { f: filter }, { token: admin });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter" });
    expect(stack.emulator.calls.length).toBe(before);
    // One under the cap still reaches the controller.
    const fits = await stack.gql(
      "query($f: String) { sessions(filter: $f) { items { id } } }",
      { f: `"/item/id" == "${"x".repeat(8_000)}"` },
      { token: admin },
    );
    expect(fits.body.errors).toBeUndefined();
    expect(fits.body.data!.sessions.items).toEqual([]);
  });
});

describe("a controller that refuses a request as too large", () => {
  let controller: Server;
  beforeAll(async () => {
    controller = createServer((req, res) => {
      req.resume();
      res.writeHead(431, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "", message: "Request Header Fields Too Large" }));
    });
    await new Promise<void>((resolve) => controller.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => controller.close(() => resolve())));

  it("answers BAD_USER_INPUT, not UPSTREAM_ERROR, for a 431", async () => {
    const { port } = controller.address() as AddressInfo;
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      BOUNDARY_ADDR: `http://127.0.0.1:${port}`,
    });
    const gateway = await startGateway(config);
    try {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer at_1234567890_s1abc" },
        body: JSON.stringify({ query: '{ session(id: "s_1234567890") { id } }' }),
      });
      const body = (await res.json()) as { errors: { extensions: { code: string; upstream: { status: number } } }[] };
      expect(body.errors[0]!.extensions.code).toBe("BAD_USER_INPUT");
      expect(body.errors[0]!.extensions.upstream.status).toBe(431);
    } finally {
      await gateway.stop();
    }
  });
});

describe("slow and numerous connections", () => {
  it("a client that never finishes its body is cut off after HTTP_REQUEST_TIMEOUT_MS, not Node's 300 s", async () => {
    const stack = await startStack({ env: { HTTP_REQUEST_TIMEOUT_MS: "1000", HTTP_HEADERS_TIMEOUT_MS: "1000" } });
    try {
      const { hostname, port } = new URL(stack.gateway.url);
      const started = performance.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () =>
          socket.write(
            'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"query":',
          ),
        );
        let text = "";
        socket.on("data", (c) => (text += c.toString("latin1")));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      const elapsed = performance.now() - started;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // Node checks the timeout on a 1 s interval (connectionsCheckingInterval), so up to about 2 s.
      expect(elapsed).toBeLessThan(5_000);
      await expectResponsive(stack.gateway.url, stack.emulator);
    } finally {
      await stack.close();
    }
  });

  it("connections past MAX_CONNECTIONS are refused while the open ones stay served", async () => {
    const stack = await startStack({ env: { MAX_CONNECTIONS: "3" } });
    const sockets: Socket[] = [];
    try {
      const { hostname, port } = new URL(stack.gateway.url);
      const open = () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(Number(port), hostname, () => resolve(s));
          s.on("error", reject);
        });
      for (let i = 0; i < 3; i++) sockets.push(await open());
      await new Promise((r) => setTimeout(r, 100));
      // The fourth is accepted by the kernel and closed by the server at once, unanswered.
      const fourth = await open();
      const closedWith = await new Promise<string>((resolve) => {
        let text = "";
        fourth.on("data", (c) => (text += c.toString("latin1")));
        fourth.on("close", () => resolve(text));
        fourth.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      });
      expect(closedWith).toBe("");
      // An open connection is still served.
      const served = await new Promise<string>((resolve) => {
        let text = "";
        sockets[0]!.on("data", (c) => {
          text += c.toString("latin1");
          if (text.includes("\r\n\r\n")) resolve(text);
        });
        sockets[0]!.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      });
      expect(served).toMatch(/^HTTP\/1\.1 200 /);
      for (const s of sockets.splice(0)) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      await expectResponsive(stack.gateway.url, stack.emulator);
    } finally {
      for (const s of sockets) s.destroy();
      await stack.close();
    }
  });
});
