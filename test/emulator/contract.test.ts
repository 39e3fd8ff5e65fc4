/**
 * The emulator against Boundary's API contract: every response body of every endpoint validates against
 * the vendored swagger schemas (closed: an extra or misspelled field fails), plus the wire rules the
 * schemas cannot express (64-bit ints as strings, no null/""/[] anywhere, protojson timestamps) and
 * the shape of the seeded demo data.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call, qs, walk } from "../helpers/emulator-http.js";

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;
const schemas = JSON.parse(readFileSync(new URL("../fixtures/controller-schemas.json", import.meta.url), "utf8"));
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  formats: {
    "date-time": TIMESTAMP,
    byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
    int64: /^-?\d+$/,
    uint32: { type: "number", validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff },
    int32: { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff },
  },
});
ajv.addSchema(schemas, "controller");
const validator = (name: string): ValidateFunction => ajv.getSchema(`controller#/definitions/controller.api.${name}`)!;
const V = {
  session: validator("resources.sessions.v1.Session"),
  listSessions: validator("services.v1.ListSessionsResponse"),
  scope: validator("resources.scopes.v1.Scope"),
  listScopes: validator("services.v1.ListScopesResponse"),
  target: validator("resources.targets.v1.Target"),
  user: validator("resources.users.v1.User"),
  host: validator("resources.hosts.v1.Host"),
  hostSet: validator("resources.hostsets.v1.HostSet"),
  authToken: validator("resources.authtokens.v1.AuthToken"),
  error: validator("v1.Error"),
};

function expectValid(v: ValidateFunction, body: unknown, what: string): void {
  const ok = v(body);
  if (!ok) throw new Error(`${what} does not match the schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 400)}`);
}

/** protojson leaves zero values out: nothing may be null, "", [] or {} anywhere in a body. */
function expectNoZeroValues(value: unknown, path = "$"): void {
  if (value === null) throw new Error(`${path} is null`);
  if (value === "") throw new Error(`${path} is ""`);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Error(`${path} is []`);
    value.forEach((v, i) => expectNoZeroValues(v, `${path}[${i}]`));
  } else if (typeof value === "object") {
    if (Object.keys(value!).length === 0) throw new Error(`${path} is {}`);
    for (const [k, v] of Object.entries(value!)) expectNoZeroValues(v, `${path}.${k}`);
  } else if (value === 0 || value === false) {
    throw new Error(`${path} is a zero value (${String(value)})`);
  }
}

/** Field types the swagger labels wrongly or loosely, checked explicitly. */
function expectSessionTypes(s: WireSession): void {
  expect(typeof s.version).toBe("number");
  for (const t of [s.created_time, s.updated_time, s.expiration_time]) expect(t).toMatch(TIMESTAMP);
  for (const st of s.states!) {
    expect(st.start_time).toMatch(TIMESTAMP);
    if (st.end_time !== undefined) expect(st.end_time).toMatch(TIMESTAMP);
  }
  for (const c of s.connections ?? []) {
    expect(typeof c.client_tcp_port).toBe("number");
    expect(typeof c.endpoint_tcp_port).toBe("number");
    if (c.bytes_up !== undefined) expect(c.bytes_up).toMatch(/^[1-9]\d*$/);
    if (c.bytes_down !== undefined) expect(c.bytes_down).toMatch(/^[1-9]\d*$/);
  }
}

function expectResponseHeaders(h: Headers): void {
  expect(h.get("cache-control")).toBe("no-store");
  expect(h.get("content-type")).toBe("application/json");
}

let emu: Emulator;
let admin: string;
let sessions: WireSession[];

beforeAll(async () => {
  emu = await startEmulator({ seed: 42, sessions: 150 });
  admin = emu.tokens.admin.token;
  sessions = emu.store.sessions();
});
afterAll(() => emu.close());

describe("emulator contract: bodies validate against the controller's schemas", () => {
  it("GET /v1/sessions pages (items without connections) for every caller", async () => {
    for (const token of [admin, emu.tokens.users[0].token, emu.tokens.scopeLimited.token]) {
      const pages = await walk(
        emu,
        "/v1/sessions",
        { scope_id: "global", recursive: true, include_terminated: true, page_size: 60 },
        token,
      );
      for (const page of pages) {
        expectValid(V.listSessions, page, "ListSessionsResponse");
        expectNoZeroValues(page);
        for (const s of page.items ?? []) {
          expect(s.connections).toBeUndefined();
          expectSessionTypes(s);
        }
      }
    }
  });

  it("GET /v1/sessions/{id} for every seeded session, connections included", async () => {
    let withConnections = 0;
    for (const s of sessions) {
      const res = await call(emu, `/v1/sessions/${s.id}`, { token: admin });
      expect(res.status).toBe(200);
      expectResponseHeaders(res.headers);
      expectValid(V.session, res.json, `session ${s.id}`);
      expectNoZeroValues(res.json);
      expectSessionTypes(res.json);
      if (res.json.connections) withConnections++;
    }
    expect(withConnections).toBeGreaterThan(20);
  });

  it("POST …:cancel, effective and no-op", async () => {
    const active = sessions.find((s) => s.status === "active")!;
    const first = await call(emu, `/v1/sessions/${active.id}:cancel`, { body: { version: active.version }, token: admin });
    expect(first.status).toBe(200);
    expectValid(V.session, first.json, "cancel response");
    expectNoZeroValues(first.json);
    const again = await call(emu, `/v1/sessions/${active.id}:cancel`, { body: { version: 1 }, token: admin });
    expect(again.status).toBe(200);
    expectValid(V.session, again.json, "no-op cancel response");
  });

  it("GET /v1/scopes (plain, recursive, per org) and GET /v1/scopes/{id} for every scope", async () => {
    const orgs = emu.store.scopeIds().filter((id) => id.startsWith("o_"));
    for (const params of [{}, { recursive: true }, { scope_id: orgs[0] }, { scope_id: "global", recursive: true, page_size: 2 }]) {
      for (const page of await walk(emu, "/v1/scopes", params, admin)) {
        expectValid(V.listScopes, page, "ListScopesResponse");
        expectNoZeroValues(page);
      }
    }
    for (const id of emu.store.scopeIds()) {
      const res = await call(emu, `/v1/scopes/${id}`, { token: admin });
      expect(res.status).toBe(200);
      expectValid(V.scope, res.json, `scope ${id}`);
      expectNoZeroValues(res.json);
    }
  });

  it("GET targets, users, hosts, host sets and auth tokens", async () => {
    const uniq = (f: (s: WireSession) => string | undefined) => [...new Set(sessions.map(f).filter((x): x is string => !!x))];
    const reads: Array<[string, ValidateFunction, string[]]> = [
      ["targets", V.target, uniq((s) => s.target_id)],
      ["users", V.user, uniq((s) => s.user_id)],
      ["hosts", V.host, uniq((s) => s.host_id)],
      ["host-sets", V.hostSet, uniq((s) => s.host_set_id)],
      ["auth-tokens", V.authToken, uniq((s) => s.auth_token_id)],
    ];
    for (const [collection, v, ids] of reads) {
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const res = await call(emu, `/v1/${collection}/${id}`, { token: admin });
        expect(res.status, `${collection}/${id}`).toBe(200);
        expectResponseHeaders(res.headers);
        expectValid(v, res.json, `${collection}/${id}`);
        expectNoZeroValues(res.json);
      }
    }
    const target = (await call(emu, `/v1/targets/${sessions.find((s) => s.target_id)!.target_id}`, { token: admin })).json;
    expect(typeof target.session_max_seconds).toBe("number");
    expect(typeof target.session_connection_limit).toBe("number");
    expect(typeof target.version).toBe("number");
  });

  it("error bodies of every kind, with the controller's headers", async () => {
    const p = emu.store.scopeIds().find((id) => id.startsWith("p_"))!;
    const cases: Array<[string, { token?: string; method?: string; body?: unknown }, number]> = [
      ["/v1/sessions/s_doesnotexist", { token: admin }, 404],
      ["/v1/nothing", { token: admin }, 404],
      ["/v1/sessions/bad-id!", { token: admin }, 400],
      [`/v1/sessions?scope_id=global`, { token: admin }, 400],
      [`/v1/sessions?scope_id=${p}`, {}, 401],
      [`/v1/hosts/${sessions.find((s) => s.host_id)!.host_id}`, { token: emu.tokens.users[0].token }, 403],
      [`/v1/sessions/${sessions[0].id}`, { token: admin, method: "DELETE" }, 405],
      [`/v1/sessions?scope_id=${p}&recursive=yes`, { token: admin }, 500],
      [`/v1/sessions?scope_id=${p}&list_token=0OIl`, { token: admin }, 500],
      [`/v1/sessions/${sessions[0].id}:cancel`, { token: admin, body: {} }, 400],
    ];
    for (const [path, o, status] of cases) {
      const res = await call(emu, path, o);
      expect(res.status, path).toBe(status);
      expectResponseHeaders(res.headers);
      expectValid(V.error, res.json, `error of ${path}`);
      expectNoZeroValues(res.json);
      expect(res.json.kind).toBeTruthy();
      expect(res.json.message).toBeTruthy();
    }
  });

  it("the vendored schemas are closed: a misspelled field fails", () => {
    expect(V.session({ id: "s_1234567890", stauts: "active" })).toBe(false);
    expect(V.session({ id: "s_1234567890", version: "2" })).toBe(false);
    expect(V.session({ id: "s_1234567890", connections: [{ bytes_up: 12 }] })).toBe(false);
  });
});

describe("emulator demo data", () => {
  it("has sessions in every status, with consistent state histories, versions and expirations", async () => {
    const statuses = new Set(sessions.map((s) => s.status));
    expect([...statuses].sort()).toEqual(["active", "canceling", "pending", "terminated"]);
    const targets = new Map<string, number>();
    for (const s of emu.store.sessions()) {
      expect(s.id).toMatch(/^s_[A-Za-z0-9]{10}$/);
      expect(s.status).toBe(s.states![0].status);
      expect(s.states![0].end_time).toBeUndefined();
      for (let i = 1; i < s.states!.length; i++) {
        expect(s.states![i].end_time).toBe(s.states![i - 1].start_time);
        expect(Date.parse(s.states![i].start_time)).toBeLessThanOrEqual(Date.parse(s.states![i - 1].start_time));
      }
      expect(s.states![s.states!.length - 1].status).toBe("pending");
      expect(s.states![s.states!.length - 1].start_time).toBe(s.created_time);
      expect(s.updated_time).toBe(s.states![0].start_time);
      expect(s.version).toBe(s.states!.length);
      expect(s.termination_reason !== undefined).toBe(s.status === "terminated");
      expect(s.type !== undefined).toBe(s.target_id !== undefined);
      expect(s.scope!.id).toBe(s.scope_id);
      expect(Buffer.from(s.certificate!, "base64")[0]).toBe(0x30);
      if (s.status === "terminated") for (const c of s.connections ?? []) expect(c.closed_reason).toBeTruthy();
      if (s.target_id) {
        if (!targets.has(s.target_id)) {
          targets.set(s.target_id, (await call(emu, `/v1/targets/${s.target_id}`, { token: admin })).json.session_max_seconds);
        }
        expect(Date.parse(s.expiration_time!) - Date.parse(s.created_time!)).toBe(targets.get(s.target_id)! * 1000);
      }
    }
  });

  it("has direct-address sessions (no host ids), sessions of deleted targets (no target_id, no type) and logged-out tokens", () => {
    expect(sessions.some((s) => s.target_id && !s.host_id && !s.host_set_id)).toBe(true);
    expect(sessions.some((s) => !s.target_id && !s.type)).toBe(true);
    expect(sessions.some((s) => s.user_id && !s.auth_token_id)).toBe(true);
    const reasons = new Set(sessions.flatMap((s) => (s.connections ?? []).map((c) => c.closed_reason)).filter(Boolean));
    for (const r of reasons)
      expect(["unknown", "timed out", "closed by end-user", "canceled", "network error", "system error"]).toContain(r);
  });

  it("is deterministic per seed: same ids and data for the same seed and start time", async () => {
    const startTime = Date.UTC(2025, 2, 1, 10, 0, 0);
    const a = await startEmulator({ seed: 5, sessions: 50, startTime });
    const b = await startEmulator({ seed: 5, sessions: 50, startTime });
    const c = await startEmulator({ seed: 6, sessions: 50, startTime });
    const d = await startEmulator({ seed: 5, sessions: 500, users: 5, startTime });
    try {
      expect(b.store.sessions()).toEqual(a.store.sessions());
      expect(b.store.scopeIds()).toEqual(a.store.scopeIds());
      expect(b.tokens).toEqual(a.tokens);
      expect(c.store.scopeIds()).not.toEqual(a.store.scopeIds());
      // Scope ids depend only on the seed and the scope counts.
      expect(d.store.scopeIds()).toEqual(a.store.scopeIds());
      const times = a.store.sessions().map((s) => Date.parse(s.created_time!));
      expect(Math.max(...times)).toBeLessThan(startTime);
    } finally {
      await Promise.all([a.close(), b.close(), c.close(), d.close()]);
    }
  });

  it("lists its users' sessions: each user owns some, in several statuses", () => {
    for (const u of emu.tokens.users) {
      const own = sessions.filter((s) => s.user_id === u.userId);
      expect(own.length).toBeGreaterThan(5);
      expect(new Set(own.map((s) => s.status)).size).toBeGreaterThan(1);
    }
  });

  it("answers a 1000-item page of a 10k-session emulator quickly", async () => {
    const big = await startEmulator({ seed: 3, sessions: 10_000, callLog: false });
    try {
      const path = `/v1/sessions?${qs({ scope_id: "global", recursive: true, include_terminated: true })}`;
      await call(big, path, { token: big.tokens.admin.token });
      const t0 = performance.now();
      const res = await call(big, path, { token: big.tokens.admin.token });
      const ms = performance.now() - t0;
      expect(res.json.items).toHaveLength(1000);
      // Generous bound for loaded CI machines; typically a few ms.
      expect(ms).toBeLessThan(500);
    } finally {
      await big.close();
    }
  });
});
