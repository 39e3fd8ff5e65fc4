import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

describe("HTTP surface", () => {
  let stack: Stack;
  let url: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 5 }, env: { MAX_BODY_BYTES: "2048" } });
    url = stack.gateway.url;
  });
  afterAll(() => stack.close());

  it("GET /healthz answers 200 without touching the controller", async () => {
    stack.emulator.clearCalls();
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("answers 404 outside /graphql and /healthz", async () => {
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it("refuses a body over MAX_BODY_BYTES with 413", async () => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ __typename }`, pad: "x".repeat(4096) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers malformed JSON with 400 BAD_REQUEST", async () => {
    const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe("BAD_REQUEST");
  });

  it("keeps CSRF prevention on: a simple GET is refused, one with a preflight header is served", async () => {
    const q = encodeURIComponent(`{ __typename }`);
    const simple = await fetch(`${url}/graphql?query=${q}`);
    expect(simple.status).toBe(400);
    const ok = await fetch(`${url}/graphql?query=${q}`, { headers: { "apollo-require-preflight": "true" } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses mutations over GET", async () => {
    const q = encodeURIComponent(`mutation { cancelSession(id: "s_1234567890") { id } }`);
    const res = await fetch(`${url}/graphql?query=${q}`, { headers: { "apollo-require-preflight": "true" } });
    expect(res.status).toBe(405);
  });

  it("serves the Sandbox landing page to browsers outside production", async () => {
    const res = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("sandbox");
  });

  it("allows introspection outside production", async () => {
    const res = await stack.gql(`{ __schema { queryType { name } } }`);
    expect(res.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});

describe("production defaults", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 5 }, env: { NODE_ENV: "production" } });
  });
  afterAll(() => stack.close());

  it("turns introspection and the landing page off", async () => {
    const res = await stack.gql(`{ __schema { queryType { name } } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      validationErrorCode: "INTROSPECTION_DISABLED",
    });
    const page = await fetch(`${stack.gateway.url}/graphql`, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toContain("sandbox");
  });
});

describe("BOUNDARY_TOKEN", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 20, seed: 8 } });
  });
  afterAll(() => stack.close());

  it("is used only for requests without their own Authorization header", async () => {
    const { users } = stack.emulator.tokens;
    const [alice, bob] = users;
    const { gql } = await startStackWithToken(stack, alice!.token);
    const own = await gql(`{ sessions(includeTerminated: true) { items { userId } } }`);
    expect(new Set(own.data.sessions.items.map((s: { userId: string }) => s.userId))).toEqual(new Set([alice!.userId]));
    const asBob = await gql(`{ sessions(includeTerminated: true) { items { userId } } }`, bob!.token);
    expect(new Set(asBob.data.sessions.items.map((s: { userId: string }) => s.userId))).toEqual(new Set([bob!.userId]));
  });
});

async function startStackWithToken(stack: Stack, token: string) {
  const { loadConfig } = await import("../../src/config.js");
  const { startGateway } = await import("../../src/server.js");
  const gw = await startGateway(
    loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", BOUNDARY_ADDR: stack.emulator.url, BOUNDARY_TOKEN: token }),
  );
  afterAll(() => gw.stop());
  return {
    async gql(query: string, bearer?: string) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const res = await fetch(`${gw.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query }) });
      return (await res.json()) as { data: any };
    },
  };
}
