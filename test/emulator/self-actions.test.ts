/**
 * The emulator's `:self` actions follow the controller's: granted whoever owns the session
 * (internal/perms/acl.go), used as `:self` only on the caller's own session, and the parent action
 * needed on anyone else's (sessions/session_service.go).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call } from "../helpers/emulator-http.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, sessions: 40, seed: 31 });
});
afterAll(() => emu.close());

const sorted = (a: readonly string[] | undefined) => [...(a ?? [])].sort();

async function listAll(token: string): Promise<WireSession[]> {
  const res = await call(emu, `/v1/sessions?scope_id=global&recursive=true&include_terminated=true`, { token });
  expect(res.status).toBe(200);
  return res.json.items ?? [];
}

describe(":self actions", () => {
  it("are listed on other users' sessions too, and a non-self action widens the listing to them", async () => {
    const [alice] = emu.tokens.users;
    emu.store.setSessionGrant(alice!.userId, ["list", "read:self", "cancel"]);
    const items = await listAll(alice!.token);
    const others = items.filter((s) => s.user_id !== alice!.userId);
    const own = items.filter((s) => s.user_id === alice!.userId);
    expect(others.length).toBeGreaterThan(0);
    expect(own.length).toBeGreaterThan(0);
    expect(items).toHaveLength(emu.store.sessions().length);
    for (const s of items) expect(sorted(s.authorized_actions), s.id).toEqual(["cancel", "cancel:self", "read:self"]);
  });

  it("read:self reads only the caller's own session; another's needs read (403)", async () => {
    const [alice] = emu.tokens.users;
    emu.store.setSessionGrant(alice!.userId, ["list", "read:self", "cancel"]);
    const items = await listAll(alice!.token);
    const own = items.find((s) => s.user_id === alice!.userId)!;
    const other = items.find((s) => s.user_id !== alice!.userId)!;
    expect((await call(emu, `/v1/sessions/${own.id}`, { token: alice!.token })).status).toBe(200);
    const refused = await call(emu, `/v1/sessions/${other.id}`, { token: alice!.token });
    expect([refused.status, refused.json.kind]).toEqual([403, "PermissionDenied"]);
  });

  it("cancel on another user's session works with the parent action, and cancel:self alone does not", async () => {
    const [alice, bob] = emu.tokens.users;
    const project = emu.store.scopeIds().find((id) => id.startsWith("p_"))!;
    const bobs = emu.store.createSession({ projectId: project, userId: bob!.userId, status: "active" });
    emu.store.setSessionGrant(alice!.userId, ["list", "read:self", "cancel:self"]);
    const denied = await call(emu, `/v1/sessions/${bobs}:cancel`, {
      token: alice!.token,
      body: { version: emu.store.session(bobs)!.version },
    });
    expect([denied.status, denied.json.kind]).toEqual([403, "PermissionDenied"]);
    expect(emu.store.session(bobs)!.status).toBe("active");
    emu.store.setSessionGrant(alice!.userId, ["list", "read:self", "cancel"]);
    const done = await call(emu, `/v1/sessions/${bobs}:cancel`, {
      token: alice!.token,
      body: { version: emu.store.session(bobs)!.version },
    });
    expect([done.status, done.json.status]).toEqual([200, "canceling"]);
    expect(sorted(done.json.authorized_actions)).toEqual(["cancel", "cancel:self", "read:self"]);
  });

  it("with only :self grants, the listing holds the caller's own sessions", async () => {
    const [alice] = emu.tokens.users;
    emu.store.setSessionGrant(alice!.userId, ["list", "read:self", "cancel:self"]);
    const items = await listAll(alice!.token);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((s) => s.user_id === alice!.userId)).toBe(true);
    for (const s of items) expect(sorted(s.authorized_actions)).toEqual(["cancel:self", "read:self"]);
  });
});

describe("cancel validation", () => {
  it("answers 400 with the cancel validator's message", async () => {
    const res = await call(emu, `/v1/sessions/s_bad-id:cancel`, { token: emu.tokens.admin.token, body: {} });
    expect(res.status).toBe(400);
    expect(res.json.message).toBe("Improperly formatted identifier.");
  });
});
