/**
 * The emulator's test hooks: injected faults (status, reset, malformed, stall, latency), the call log,
 * controller-like rate limiting, body limits, HTTPS, and a close() that does not wait for stalled sockets.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call, qs } from "../helpers/emulator-http.js";

let emu: Emulator;
let admin: string;
let sessionPath: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 4, sessions: 30 });
  admin = emu.tokens.admin.token;
  sessionPath = `/v1/sessions/${emu.store.sessions()[0].id}`;
});
afterAll(() => emu.close());

describe("emulator faults", () => {
  it("status: the given status once, with Retry-After; 429/503 without a body, others with an error body", async () => {
    emu.faults.add({ kind: "status", status: 503, retryAfter: 7 });
    const a = await call(emu, sessionPath, { token: admin });
    expect([a.status, a.headers.get("retry-after"), a.text]).toEqual([503, "7", ""]);
    expect((await call(emu, sessionPath, { token: admin })).status).toBe(200);

    emu.faults.add({ kind: "status", status: 500 });
    const b = await call(emu, sessionPath, { token: admin });
    expect([b.status, b.json.kind]).toEqual([500, "Internal"]);

    emu.faults.add({ kind: "status", status: 502, body: { kind: "Internal", message: "upstream gone" } });
    const c = await call(emu, sessionPath, { token: admin });
    expect([c.status, c.json]).toEqual([502, { kind: "Internal", message: "upstream gone" }]);
  });

  it("applies a fault only to matching requests, `times` times", async () => {
    emu.faults.add({ kind: "status", status: 504, match: /^GET \/v1\/scopes/, times: 2 });
    expect((await call(emu, sessionPath, { token: admin })).status).toBe(200);
    expect((await call(emu, "/v1/scopes", { token: admin })).status).toBe(504);
    expect((await call(emu, "/v1/scopes/global", { token: admin })).status).toBe(504);
    expect((await call(emu, "/v1/scopes", { token: admin })).status).toBe(200);
    emu.faults.add({ kind: "status", status: 500, match: /nothing-matches/ });
    emu.faults.clear();
    expect((await call(emu, "/v1/scopes", { token: admin })).status).toBe(200);
  });

  it("reset: the connection is destroyed, the call logged with status 0", async () => {
    emu.clearCalls();
    emu.faults.add({ kind: "reset" });
    await expect(call(emu, sessionPath, { token: admin })).rejects.toThrow();
    expect(emu.calls.map((c) => [c.path, c.status])).toEqual([[sessionPath, 0]]);
    expect((await call(emu, sessionPath, { token: admin })).status).toBe(200);
  });

  it("malformed: 200 with the body cut short", async () => {
    emu.faults.add({ kind: "malformed" });
    const res = await fetch(`${emu.url}${sessionPath}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const whole = (await call(emu, sessionPath, { token: admin })).text;
    expect(whole.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(whole.length);
    expect(() => JSON.parse(text)).toThrow();
  });

  it("latency: a one-shot delay, and a standing one through faults.latencyMs", async () => {
    emu.faults.add({ kind: "latency", ms: 150 });
    let t0 = performance.now();
    expect((await call(emu, sessionPath, { token: admin })).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    t0 = performance.now();
    await call(emu, sessionPath, { token: admin });
    expect(performance.now() - t0).toBeLessThan(140);
    emu.faults.latencyMs = 100;
    try {
      t0 = performance.now();
      await call(emu, sessionPath, { token: admin });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    } finally {
      emu.faults.latencyMs = 0;
    }
  });

  it("stall: headers and half the body, never the rest; close() still returns promptly", async () => {
    const e = await startEmulator({ seed: 4, sessions: 5 });
    e.faults.add({ kind: "stall" });
    const res = await fetch(`${e.url}/v1/scopes`, { headers: { authorization: `Bearer ${e.tokens.admin.token}` } });
    expect(res.status).toBe(200);
    const body = res.text();
    body.catch(() => undefined);
    const outcome = await Promise.race([body.then(() => "finished"), new Promise((r) => setTimeout(() => r("pending"), 200))]);
    expect(outcome).toBe("pending");
    expect(e.calls.at(-1)!.status).toBe(0);
    const t0 = performance.now();
    await e.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(body).rejects.toThrow();
  });
});

describe("emulator call log", () => {
  it("records method, path, decoded query, authorization, status and timing, in arrival order", async () => {
    emu.clearCalls();
    const s = emu.store.sessions().find((x) => x.status === "canceling")!;
    const filter = `"/item/status" == "active"`;
    await call(emu, `/v1/sessions?${qs({ scope_id: "global", recursive: true, filter })}&page_size=1&page_size=2`, { token: admin });
    await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version: 1 } });
    await call(emu, "/v1/scopes");
    expect(emu.calls.map(({ method, path, query, authorization, status }) => ({ method, path, query, authorization, status }))).toEqual([
      {
        method: "GET",
        path: "/v1/sessions",
        query: { scope_id: "global", recursive: "true", filter, page_size: "2" },
        authorization: `Bearer ${admin}`,
        // Two page_size values: grpc-gateway refuses repeated values of a singular field.
        status: 500,
      },
      { method: "POST", path: `/v1/sessions/${s.id}:cancel`, query: {}, authorization: `Bearer ${admin}`, status: 200 },
      { method: "GET", path: "/v1/scopes", query: {}, authorization: undefined, status: 200 },
    ]);
    for (const c of emu.calls) expect(c.end).toBeGreaterThanOrEqual(c.start);
    emu.clearCalls();
    expect(emu.calls).toEqual([]);
  });

  it("records nothing with callLog: false", async () => {
    const e = await startEmulator({ sessions: 5, callLog: false });
    try {
      await call(e, "/v1/scopes");
      expect(e.calls).toEqual([]);
    } finally {
      await e.close();
    }
  });
});

describe("emulator limits and transport", () => {
  it("rate-limits like the controller when asked: 429, empty body, Retry-After and RateLimit headers", async () => {
    const e = await startEmulator({ sessions: 5, rateLimit: { listPerToken: 3 } });
    try {
      const t = e.tokens.admin.token;
      for (let i = 0; i < 3; i++) {
        const ok = await call(e, "/v1/scopes", { token: t });
        expect(ok.status).toBe(200);
        expect(ok.headers.get("ratelimit")).toMatch(/^limit=3, remaining=\d+, reset=\d+$/);
      }
      const limited = await call(e, "/v1/scopes", { token: t });
      expect(limited.status).toBe(429);
      expect(limited.text).toBe("");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(limited.headers.get("ratelimit")).toMatch(/^limit=3, remaining=0, reset=\d+$/);
      expect(limited.headers.get("ratelimit-policy")).toBe(
        '3;w=30;comment="auth-token", 1500;w=30;comment="ip-address", 1500;w=30;comment="total"',
      );
      // Reads have their own quota, other tokens their own.
      expect((await call(e, "/v1/scopes/global", { token: t })).status).toBe(200);
      expect((await call(e, "/v1/scopes", { token: e.tokens.users[0].token })).status).toBe(200);
      e.clock.advance(30_000);
      expect((await call(e, "/v1/scopes", { token: t })).status).toBe(200);
    } finally {
      await e.close();
    }
  });

  it("counts each resource:action against its own quota, with the controller's defaults", async () => {
    const e = await startEmulator({ sessions: 5, rateLimit: true });
    try {
      const t = e.tokens.admin.token;
      const first = await call(e, "/v1/sessions?scope_id=global&recursive=true", { token: t });
      expect(first.headers.get("ratelimit")).toMatch(/^limit=150, remaining=149, reset=\d+$/);
      expect(first.headers.get("ratelimit-policy")).toBe(
        '150;w=30;comment="auth-token", 1500;w=30;comment="ip-address", 1500;w=30;comment="total"',
      );
      for (let i = 1; i < 150; i++) expect((await call(e, "/v1/sessions?scope_id=global&recursive=true", { token: t })).status).toBe(200);
      const limited = await call(e, "/v1/sessions?scope_id=global&recursive=true", { token: t });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // scope:list and session:read are other quotas: untouched by 150 session:list calls.
      const scopes = await call(e, "/v1/scopes", { token: t });
      expect(scopes.status).toBe(200);
      expect(scopes.headers.get("ratelimit")).toMatch(/^limit=150, remaining=149, reset=\d+$/);
      const read = await call(e, `/v1/sessions/${e.store.sessions()[0]!.id}`, { token: t });
      expect(read.status).toBe(200);
      expect(read.headers.get("ratelimit")).toMatch(/^limit=3000, remaining=2999, reset=\d+$/);
      expect(read.headers.get("ratelimit-policy")).toBe(
        '3000;w=30;comment="auth-token", 30000;w=30;comment="ip-address", 30000;w=30;comment="total"',
      );
    } finally {
      await e.close();
    }
  });

  it("refuses a request body over 1 MiB with 413", async () => {
    const s = emu.store.sessions()[0];
    const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: `{"version":1,"pad":"${"x".repeat(1 << 20)}"}` });
    expect(res.status).toBe(413);
  });

  it("sets Cache-Control: no-store and Content-Type: application/json on every answer", async () => {
    for (const [path, method] of [
      ["/v1/scopes", "GET"],
      ["/v1/nothing", "GET"],
      ["/v1/sessions", "PUT"],
      [sessionPath, "GET"],
    ]) {
      const res = await call(emu, path, { token: admin, method });
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.headers.get("content-type"), path).toBe("application/json");
    }
  });

  it("serves HTTPS with the given key pair", async () => {
    const dir = new URL("../fixtures/tls/", import.meta.url);
    const cert = readFileSync(new URL("cert.pem", dir), "utf8");
    const e = await startEmulator({ sessions: 5, tls: { key: readFileSync(new URL("key.pem", dir), "utf8"), cert } });
    const agent = new Agent({ connect: { ca: cert } });
    try {
      expect(e.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${e.url}/v1/scopes/global`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${e.tokens.admin.token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { id: string }).id).toBe("global");
    } finally {
      await agent.close();
      await e.close();
    }
  });

  it("close() is idempotent", async () => {
    const e = await startEmulator({ sessions: 1 });
    await Promise.all([e.close(), e.close()]);
    await e.close();
  });
});
