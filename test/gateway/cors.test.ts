import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

const CONSOLE = "http://console.example:8080";
const QUERY = JSON.stringify({ query: "{ __typename }" });

function preflight(url: string, origin: string) {
  return fetch(url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
}

describe("CORS with CORS_ORIGINS set", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { CORS_ORIGINS: `${CONSOLE}/, https://other.example` }, fallbackToAdmin: true });
  });
  afterAll(() => stack?.close());

  it("answers an allowed origin's preflight on /graphql and /graphql/stream with 204 and the allowed methods and headers", async () => {
    for (const path of ["/graphql", "/graphql/stream"]) {
      const res = await preflight(`${stack.gateway.url}${path}`, CONSOLE);
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
      expect(res.headers.get("vary")).toBe("Origin");
      expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, DELETE, OPTIONS");
      expect(res.headers.get("access-control-allow-headers")).toBe(
        "authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id, traceparent",
      );
      expect(res.headers.get("access-control-max-age")).toBe("600");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("refuses another origin's preflight with 403 and no CORS headers", async () => {
    const res = await preflight(`${stack.gateway.url}/graphql`, "https://evil.example");
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("puts Allow-Origin, Vary and Expose-Headers on real answers to an allowed origin, on both lanes", async () => {
    const lanes: Record<string, string>[] = [{}, { "apollo-require-preflight": "true", accept: "application/graphql-response+json" }];
    for (const extra of lanes) {
      const res = await fetch(`${stack.gateway.url}/graphql`, {
        method: "POST",
        headers: { origin: CONSOLE, "content-type": "application/json", ...extra },
        body: QUERY,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { __typename: "Query" } });
      expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
      expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
      expect(res.headers.get("access-control-expose-headers")).toBe("x-request-id, retry-after");
    }
  });

  it("sends no Allow-Origin to another origin's real request", async () => {
    const res = await fetch(`${stack.gateway.url}/graphql`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: QUERY,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
  });
});

describe("CORS with CORS_ORIGINS unset", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ fallbackToAdmin: true });
  });
  afterAll(() => stack?.close());

  it("sends no CORS header, on a preflight or a real request", async () => {
    const pre = await preflight(`${stack.gateway.url}/graphql`, CONSOLE);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-methods")).toBeNull();
    const res = await fetch(`${stack.gateway.url}/graphql`, {
      method: "POST",
      headers: { origin: CONSOLE, "content-type": "application/json" },
      body: QUERY,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("vary") ?? "").not.toMatch(/Origin/);
  });
});
