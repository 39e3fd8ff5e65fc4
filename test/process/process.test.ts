/**
 * The gateway as a process (src/main.ts): demo mode, and draining on SIGTERM. Spawned with the same
 * Node and tsx the npm scripts use.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { startMain } from "../helpers/main-process.js";

async function post(url: string, query: string, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: unknown[] } };
}

describe("demo mode (BOUNDARY_ADDR unset)", () => {
  it("starts the embedded emulator, says so, and answers without a token as the demo admin", async () => {
    const run = await startMain({});
    try {
      const warning = run.lines.find((l) => String(l.msg).includes("DEMO DATA"));
      expect(warning).toBeDefined();
      expect(String(warning!.boundaryAddr)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await post(
        run.url,
        `{ sessions(first: 20) { items { id status scope { name parent { name } } connections { bytesUp } } } }`,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.sessions.items).toHaveLength(20);
      expect(res.body.data.sessions.items[0].scope.parent.name).toEqual(expect.any(String));
    } finally {
      run.child.kill("SIGTERM");
      expect((await run.exited).code).toBe(0);
    }
  });
});

describe("WORKERS", () => {
  it("runs that many gateways on one port, and drains them all on SIGTERM", async () => {
    const run = await startMain({ WORKERS: "2" });
    try {
      for (let i = 0; i < 50 && run.lines.filter((l) => l.msg === "gateway ready").length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      const ready = run.lines.filter((l) => l.msg === "gateway ready");
      expect(ready).toHaveLength(2);
      expect(new Set(ready.map((l) => l.url))).toEqual(new Set([run.url]));
      expect(new Set(ready.map((l) => l.pid)).size).toBe(2);
      const answers = await Promise.all(Array.from({ length: 6 }, () => post(run.url, `{ sessions(first: 1) { items { id } } }`)));
      for (const a of answers) expect(a.body.data.sessions.items).toHaveLength(1);
    } finally {
      run.child.kill("SIGTERM");
      expect((await run.exited).code).toBe(0);
    }
  });
});

describe("SIGTERM", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 10 });
  });
  afterAll(() => emulator.close());

  it("lets in-flight requests complete, stops accepting, and exits 0", async () => {
    const run = await startMain({ BOUNDARY_ADDR: emulator.url, NODE_ENV: "production" });
    const id = emulator.store.sessions()[0]!.id;
    emulator.faults.latencyMs = 800;
    emulator.clearCalls();
    const inflight = post(run.url, `{ session(id: "${id}") { id status } }`, emulator.tokens.admin.token);
    // Signal once the request has reached the controller, i.e. is truly in flight.
    for (let i = 0; i < 200 && emulator.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    run.child.kill("SIGTERM");
    const res = await inflight;
    emulator.faults.latencyMs = 0;
    expect(res.status).toBe(200);
    expect(res.body.data.session.id).toBe(id);
    const exit = await run.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(run.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["draining", "stopped"]));
    await expect(fetch(`${run.url}`)).rejects.toThrow();
  });
});
