/**
 * `POST /v1/sessions/{id}:cancel` (hashicorp/boundary internal/daemon/controller/handlers/sessions/session_service.go
 * and internal/session/repository_session.go): optimistic versioning answered with 500
 * when stale, no-op on sessions already canceling or terminated, termination after cancelDelayMs of
 * emulator clock, and the literal colon of the custom verb.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call } from "../helpers/emulator-http.js";

let emu: Emulator;
let admin: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 31, sessions: 120, cancelDelayMs: 2000 });
  admin = emu.tokens.admin.token;
});
afterAll(() => emu.close());

/** A seeded session of the given status, not used by an earlier test. */
const used = new Set<string>();
function pick(status: string, extra: (s: WireSession) => boolean = () => true): WireSession {
  const s = emu.store.sessions().find((x) => x.status === status && !used.has(x.id) && extra(x));
  if (!s) throw new Error(`no ${status} session left`);
  used.add(s.id);
  return s;
}

describe("emulator cancel", () => {
  it("cancels with the current version: canceling, version+1, no connections", async () => {
    const s = pick("active", (x) => (x.connections ?? []).some((c) => !c.closed_reason));
    const before = (await call(emu, `/v1/sessions/${s.id}`, { token: admin })).json;
    const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version: before.version } });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe("canceling");
    expect(res.json.version).toBe(before.version + 1);
    expect(res.json.connections).toBeUndefined();
    expect(res.json.states.map((x: { status: string }) => x.status)).toEqual(["canceling", "active", "pending"]);
    expect(res.json.states[1].end_time).toBe(res.json.states[0].start_time);
    expect(res.json.updated_time).toBe(res.json.states[0].start_time);
    expect(res.json.termination_reason).toBeUndefined();
  });

  it("accepts the version as a numeric string (protojson)", async () => {
    const s = pick("pending");
    const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: `{"version":"${s.version}"}` });
    expect([res.status, res.json.status]).toEqual([200, "canceling"]);
  });

  it("answers a stale version with 500 Internal and changes nothing", async () => {
    const s = pick("active");
    const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version: s.version! + 3 } });
    expect(res.status).toBe(500);
    expect(res.json.kind).toBe("Internal");
    expect(res.json.message).toContain("updated session and 0 rows updated");
    expect(emu.store.session(s.id)!.status).toBe("active");
    expect(emu.store.session(s.id)!.version).toBe(s.version);
  });

  it("answers a repeated cancel with 200 and the unchanged session, connections included, without a version check", async () => {
    const s = pick("active", (x) => (x.connections ?? []).length > 0);
    const first = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version: s.version } });
    for (const version of [first.json.version, 1, 999]) {
      const again = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version } });
      expect(again.status).toBe(200);
      expect(again.json.status).toBe("canceling");
      expect(again.json.version).toBe(first.json.version);
      expect(again.json.connections?.length).toBe(s.connections!.length);
    }
    const terminated = pick("terminated");
    const t = await call(emu, `/v1/sessions/${terminated.id}:cancel`, { token: admin, body: { version: 1 } });
    expect([t.status, t.json.version, t.json.status]).toEqual([200, terminated.version, "terminated"]);
  });

  it("terminates a canceled session after cancelDelayMs of emulator clock, closing its connections as canceled", async () => {
    const s = pick("active", (x) => (x.connections ?? []).some((c) => !c.closed_reason));
    const canceled = (await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body: { version: s.version } })).json;
    emu.clock.advance(1000);
    expect((await call(emu, `/v1/sessions/${s.id}`, { token: admin })).json.status).toBe("canceling");
    emu.clock.advance(1500);
    const after = (await call(emu, `/v1/sessions/${s.id}`, { token: admin })).json;
    expect(after.status).toBe("terminated");
    expect(after.termination_reason).toBe("canceled");
    expect(after.version).toBe(canceled.version + 1);
    expect(after.states[1].end_time).toBe(after.states[0].start_time);
    expect(Date.parse(after.states[0].start_time) - Date.parse(canceled.states[0].start_time)).toBe(2000);
    for (const c of after.connections) expect(c.closed_reason).toBeTruthy();
    const wasOpen = s.connections!.findIndex((c) => !c.closed_reason);
    expect(after.connections[wasOpen].closed_reason).toBe("canceled");
    // clock.advance applies the change at once for store readers too.
    const other = pick("pending");
    await call(emu, `/v1/sessions/${other.id}:cancel`, { token: admin, body: { version: other.version } });
    emu.clock.advance(2000);
    expect(emu.store.session(other.id)!.status).toBe("terminated");
  });

  it("requires a version and a well-formed id (400, fields sorted)", async () => {
    const s = pick("pending");
    for (const body of [{}, { version: 0 }, { version: null }, "", { version: "0" }]) {
      const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body, method: "POST" });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json).toEqual({
        kind: "InvalidArgument",
        message: "Improperly formatted identifier.",
        details: { request_fields: [{ name: "version", description: "Required field." }] },
      });
    }
    const bad = await call(emu, `/v1/sessions/s_bad-id:cancel`, { token: admin, body: {} });
    expect(bad.json.details.request_fields.map((f: { name: string }) => f.name)).toEqual(["id", "version"]);
    expect(emu.store.session(s.id)!.status).toBe("pending");
  });

  it("answers an unparsable body with 500, as grpc-gateway does", async () => {
    const s = pick("pending");
    for (const body of ["{not json", "[1]", `{"version":"abc"}`, `{"version":-1}`, `{"version":1.5}`]) {
      const res = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin, body });
      expect(res.status, body).toBe(500);
      expect(res.json.kind).toBe("Internal");
    }
  });

  it("routes only a literal colon to the cancel verb: %3Acancel is not cancel", async () => {
    const s = pick("pending");
    const post = await call(emu, `/v1/sessions/${s.id}%3Acancel`, { token: admin, body: { version: s.version } });
    expect([post.status, post.json.kind]).toEqual([405, "Unimplemented"]);
    const get = await call(emu, `/v1/sessions/${s.id}%3Acancel`, { token: admin });
    expect([get.status, get.json.kind]).toEqual([404, "NotFound"]);
    const getVerb = await call(emu, `/v1/sessions/${s.id}:cancel`, { token: admin });
    expect(getVerb.status).toBe(405);
    const otherVerb = await call(emu, `/v1/sessions/${s.id}:terminate`, { token: admin, body: { version: s.version } });
    expect(otherVerb.status).toBe(404);
    expect(emu.store.session(s.id)!.status).toBe("pending");
  });

  it("checks lookup before permission: 404 for an unknown id even anonymously, then 401/403", async () => {
    expect((await call(emu, `/v1/sessions/s_0000000000:cancel`, { body: { version: 1 } })).status).toBe(404);
    const user = emu.tokens.users[0];
    const theirs = pick("pending", (x) => x.user_id === user.userId);
    expect((await call(emu, `/v1/sessions/${theirs.id}:cancel`, { body: { version: theirs.version } })).status).toBe(401);
    const other = emu.tokens.users[1].token;
    expect((await call(emu, `/v1/sessions/${theirs.id}:cancel`, { token: other, body: { version: theirs.version } })).status).toBe(403);
    const own = await call(emu, `/v1/sessions/${theirs.id}:cancel`, { token: user.token, body: { version: theirs.version } });
    expect([own.status, own.json.status, own.json.authorized_actions.sort()]).toEqual([200, "canceling", ["cancel:self", "read:self"]]);
  });

  it("store hooks create, change and delete sessions", async () => {
    const id = emu.store.createSession({ status: "active" });
    const s = emu.store.session(id)!;
    expect([s.status, s.version, s.states!.length, s.connections!.length]).toEqual(["active", 2, 2, 1]);
    emu.store.setStatus(id, "terminated", "timed out");
    const t = emu.store.session(id)!;
    expect([t.status, t.termination_reason, t.version, t.connections![0].closed_reason]).toEqual([
      "terminated",
      "timed out",
      3,
      "timed out",
    ]);
    expect(() => emu.store.setStatus(id, "active")).toThrow();
    emu.store.deleteSession(id);
    expect(emu.store.session(id)).toBeUndefined();
    expect((await call(emu, `/v1/sessions/${id}`, { token: admin })).status).toBe(404);
  });
});
