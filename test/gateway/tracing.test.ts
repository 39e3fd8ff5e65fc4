/**
 * OpenTelemetry tracing and request ids over real HTTP: an OTLP/HTTP (JSON) receiver on port 0 collects
 * what the gateway exports; the emulator records the `traceparent` each upstream call carried.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";

let receiver: Server;
let received: OtlpSpan[] = [];
const resourceNames: string[] = [];
let traced: Stack;
let untraced: Stack;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: { resource: { attributes: OtlpSpan["attributes"] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const rs of body.resourceSpans) {
          resourceNames.push(String(attr(rs.resource.attributes, "service.name")));
          for (const ss of rs.scopeSpans) received.push(...ss.spans);
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  traced = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
  untraced = await startStack();
});

afterAll(async () => {
  await untraced?.close();
  await traced?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

function attr(attributes: OtlpSpan["attributes"], key: string): unknown {
  const v = attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.arrayValue));
}

async function firstSessionId(stack: Stack): Promise<string> {
  const admin = stack.emulator.tokens.admin.token;
  const list = await stack.gql(`{ sessions(first: 1) { items { id } } }`, {}, { token: admin });
  return list.body.data!.sessions.items[0].id as string;
}

describe("tracing", () => {
  it("continues the caller's trace through the HTTP, operation and upstream spans, and sends traceparent upstream", async () => {
    const id = await firstSessionId(traced);
    traced.emulator.calls.length = 0;
    received = [];
    const res = await traced.gql(
      `query OneSession($id: ID!) { session(id: $id) { id } }`,
      { id },
      {
        token: traced.emulator.tokens.admin.token,
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.data!.session.id).toBe(id);
    await traced.gateway.stop(); // flushes the batch processor

    const spans = received.filter((s) => s.traceId === TRACE_ID);
    const http = spans.find((s) => s.name === "POST /graphql")!;
    const op = spans.find((s) => s.name === "query OneSession")!;
    const upstream = spans.filter((s) => s.name === "GET /v1/sessions/{id}");
    expect(http).toBeDefined();
    expect(op).toBeDefined();
    expect(upstream).toHaveLength(1);
    expect(resourceNames).toContain("boundary-graphql");

    expect(http.parentSpanId).toBe(PARENT_ID);
    expect(http.kind).toBe(2); // SERVER
    expect(attr(http.attributes, "http.request.method")).toBe("POST");
    expect(attr(http.attributes, "http.route")).toBe("/graphql");
    expect(attr(http.attributes, "http.response.status_code")).toBe(200);

    expect(op.parentSpanId).toBe(http.spanId);
    expect(attr(op.attributes, "graphql.operation.type")).toBe("query");
    expect(attr(op.attributes, "graphql.operation.name")).toBe("OneSession");

    expect(upstream[0]!.parentSpanId).toBe(op.spanId);
    expect(upstream[0]!.kind).toBe(3); // CLIENT
    expect(attr(upstream[0]!.attributes, "url.template")).toBe("/v1/sessions/{id}");
    expect(attr(upstream[0]!.attributes, "http.request.method")).toBe("GET");
    expect(attr(upstream[0]!.attributes, "http.response.status_code")).toBe(200);

    const calls = traced.emulator.calls.filter((c) => c.path.startsWith("/v1/sessions/"));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.traceparent).toBe(`00-${TRACE_ID}-${upstream[0]!.spanId}-01`);
  });

  it("sends no traceparent upstream when tracing is off", async () => {
    const id = await firstSessionId(untraced);
    untraced.emulator.calls.length = 0;
    const res = await untraced.gql(
      `query OneSession($id: ID!) { session(id: $id) { id } }`,
      { id },
      {
        token: untraced.emulator.tokens.admin.token,
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
      },
    );
    expect(res.body.data!.session.id).toBe(id);
    expect(untraced.emulator.calls.length).toBeGreaterThan(0);
    expect(untraced.emulator.calls.filter((c) => c.traceparent !== undefined)).toEqual([]);
  });
});

describe("request ids", () => {
  it("echoes a sane x-request-id and puts it in every error's extensions", async () => {
    const res = await untraced.gql(`{ nope }`, {}, { headers: { "x-request-id": "client-id.42" } });
    expect(res.headers.get("x-request-id")).toBe("client-id.42");
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.requestId).toBe("client-id.42");
  });

  it("replaces an unsafe or overlong id with a fresh one, different per request", async () => {
    const a = await fetch(`${untraced.gateway.url}/healthz`, { headers: { "x-request-id": "bad id\twith spaces" } });
    const b = await fetch(`${untraced.gateway.url}/healthz`, { headers: { "x-request-id": "x".repeat(129) } });
    const idA = a.headers.get("x-request-id")!;
    const idB = b.headers.get("x-request-id")!;
    expect(idA).toMatch(/^[A-Za-z0-9_-]+-[0-9a-z]+$/);
    expect(idB).toMatch(/^[A-Za-z0-9_-]+-[0-9a-z]+$/);
    expect(idA).not.toBe(idB);
  });

  it("carries one on probes, metrics, 404 and 413 answers", async () => {
    const url = untraced.gateway.url;
    const answers = await Promise.all([
      fetch(`${url}/readyz`),
      fetch(`${url}/metrics`),
      fetch(`${url}/nowhere`),
      fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(2 * 1024 * 1024) }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 413]);
    for (const r of answers) expect(r.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]+-[0-9a-z]+$/);
  });
});
