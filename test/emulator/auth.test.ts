/**
 * Who may do what (hashicorp/boundary internal/daemon/controller/auth/auth.go, internal/perms/acl.go and
 * internal/daemon/controller/handlers/sessions/session_service.go): every demo caller against every endpoint, as one table of
 * the controller's status codes, plus the bearer parsing rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { call } from "../helpers/emulator-http.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ seed: 17, sessions: 120 });
});
afterAll(() => emu.close());

type Caller = "admin" | "user" | "other" | "limited" | "anon" | "malformed";
const CALLERS: Caller[] = ["admin", "user", "other", "limited", "anon", "malformed"];

function authorization(c: Caller): string | undefined {
  switch (c) {
    case "admin":
      return `Bearer ${emu.tokens.admin.token}`;
    case "user":
      return `Bearer ${emu.tokens.users[0].token}`;
    case "other":
      return `Bearer ${emu.tokens.users[1].token}`;
    case "limited":
      return `Bearer ${emu.tokens.scopeLimited.token}`;
    case "anon":
      return undefined;
    case "malformed":
      return "Bearer at_1234567890_nope";
  }
}

describe("emulator authorization", () => {
  it("answers each caller on each endpoint with the controller's status", async () => {
    const ids = emu.store.scopeIds();
    const [, org1, project1, , org2, project2] = ids;
    const user = emu.tokens.users[0];
    const own = (s: WireSession) => s.user_id === user.userId;
    const sessions = emu.store.sessions();
    const userSession = sessions.find((s) => own(s) && s.status === "active")!;
    // Cancel on a canceling session changes nothing, so the table can run it for every caller.
    const userCanceling = sessions.find((s) => own(s) && s.status === "canceling")!;
    const target = sessions.find((s) => s.target_id)!.target_id!;
    const host = sessions.find((s) => s.host_id)!;

    //                                                                          admin user other limited anon malformed
    const table: Array<[string, string, { body?: unknown }, number[]]> = [
      ["list one project", `/v1/sessions?scope_id=${project1}`, {}, [200, 200, 200, 200, 401, 401]],
      ["list recursive", `/v1/sessions?scope_id=global&recursive=true`, {}, [200, 200, 200, 200, 403, 403]],
      ["list recursive in an org", `/v1/sessions?scope_id=${org1}&recursive=true`, {}, [200, 200, 200, 200, 403, 403]],
      ["list unknown project", `/v1/sessions?scope_id=p_0000000000`, {}, [404, 404, 404, 404, 404, 404]],
      ["list org without recursion", `/v1/sessions?scope_id=${org1}`, {}, [400, 400, 400, 400, 400, 400]],
      ["read user's session", `/v1/sessions/${userSession.id}`, {}, [200, 200, 403, 200, 401, 401]],
      ["read unknown session", `/v1/sessions/s_0000000000`, {}, [404, 404, 404, 404, 404, 404]],
      ["read malformed id", `/v1/sessions/x_123`, {}, [400, 400, 400, 400, 400, 400]],
      ["cancel user's session", `/v1/sessions/${userCanceling.id}:cancel`, { body: { version: 1 } }, [200, 200, 403, 200, 401, 401]],
      ["cancel unknown session", `/v1/sessions/s_0000000000:cancel`, { body: { version: 1 } }, [404, 404, 404, 404, 404, 404]],
      ["list scopes", `/v1/scopes`, {}, [200, 200, 200, 200, 200, 200]],
      ["list scopes recursive", `/v1/scopes?recursive=true`, {}, [200, 200, 200, 200, 200, 200]],
      ["read global", `/v1/scopes/global`, {}, [200, 200, 200, 200, 401, 401]],
      ["read first org", `/v1/scopes/${org1}`, {}, [200, 200, 200, 200, 401, 401]],
      ["read second org", `/v1/scopes/${org2}`, {}, [200, 200, 200, 403, 401, 401]],
      ["read project of second org", `/v1/scopes/${project2}`, {}, [200, 200, 200, 403, 401, 401]],
      ["read unknown scope", `/v1/scopes/o_0000000000`, {}, [404, 404, 404, 404, 404, 404]],
      ["read target", `/v1/targets/${target}`, {}, [200, 200, 200, 200, 401, 401]],
      ["read user", `/v1/users/${user.userId}`, {}, [200, 200, 403, 403, 401, 401]],
      ["read host", `/v1/hosts/${host.host_id}`, {}, [200, 403, 403, 403, 401, 401]],
      ["read host set", `/v1/host-sets/${host.host_set_id}`, {}, [200, 403, 403, 403, 401, 401]],
      ["read user's auth token", `/v1/auth-tokens/${user.authTokenId}`, {}, [200, 200, 403, 403, 401, 401]],
      ["unknown route", `/v1/widgets`, {}, [404, 404, 404, 404, 404, 404]],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [name, path, o, statuses] of table) {
      const row: number[] = [];
      for (const c of CALLERS) {
        const res = await call(emu, path, { ...o, authorization: authorization(c) });
        row.push(res.status);
      }
      got.push(`${name}: ${row.join(" ")}`);
      want.push(`${name}: ${statuses.join(" ")}`);
    }
    expect(got).toEqual(want);
  });

  it("uses 401 Unauthenticated for the anonymous user and 403 PermissionDenied for a real one", async () => {
    const s = emu.store.sessions().find((x) => x.user_id === emu.tokens.users[0].userId)!;
    expect((await call(emu, `/v1/sessions/${s.id}`)).json).toEqual({
      kind: "Unauthenticated",
      message: "Unauthenticated, or invalid token.",
    });
    expect((await call(emu, `/v1/sessions/${s.id}`, { token: emu.tokens.users[1].token })).json).toEqual({
      kind: "PermissionDenied",
      message: "Forbidden.",
    });
  });

  it("reads the bearer scheme case-insensitively and trims whitespace; anything else is anonymous", async () => {
    const s = emu.store.sessions()[0];
    const t = emu.tokens.admin.token;
    for (const header of [`Bearer ${t}`, `bearer ${t}`, `BEARER   ${t}  `, `  Bearer\t${t}`]) {
      expect((await call(emu, `/v1/sessions/${s.id}`, { authorization: header })).status, header).toBe(200);
    }
    for (const header of [`Basic ${t}`, `Bearer`, `Bearer `, t, `Bearer ${t}x`, `Bearer ${t.replace("_s1", "_s2")}`]) {
      expect((await call(emu, `/v1/sessions/${s.id}`, { authorization: header })).status, header).toBe(401);
    }
    // Browsers: the token split over two cookies, used when no Bearer header is there.
    const cookie = `wt-js-token-cookie=${t.slice(0, 20)}; wt-http-token-cookie=${t.slice(20)}`;
    expect((await call(emu, `/v1/sessions/${s.id}`, { headers: { cookie } })).status).toBe(200);
  });

  it("gives each caller its authorized_actions", async () => {
    const user = emu.tokens.users[0];
    const s = emu.store.sessions().find((x) => x.user_id === user.userId)!;
    const actions = async (token: string, path: string) => [...(await call(emu, path, { token })).json.authorized_actions].sort();
    expect(await actions(user.token, `/v1/sessions/${s.id}`)).toEqual(["cancel:self", "read:self"]);
    expect(await actions(emu.tokens.scopeLimited.token, `/v1/sessions/${s.id}`)).toEqual(["cancel", "cancel:self", "read", "read:self"]);
    expect(await actions(emu.tokens.admin.token, `/v1/sessions/${s.id}`)).toEqual(["cancel", "cancel:self", "no-op", "read", "read:self"]);
    const scope = await call(emu, `/v1/scopes/${s.scope_id}`, { token: user.token });
    expect(scope.json.authorized_actions.sort()).toEqual(["no-op", "read"]);
    expect(scope.json.authorized_collection_actions.sessions).toEqual(["list"]);
  });

  it("lists for the scope-limited caller the second org's scopes without read", async () => {
    const org2 = emu.store.scopeIds()[4];
    const res = await call(emu, "/v1/scopes", { token: emu.tokens.scopeLimited.token });
    const byId = new Map(res.json.items.map((s: { id: string; authorized_actions: string[] }) => [s.id, s.authorized_actions]));
    expect(byId.get(org2)).toEqual(["no-op"]);
    expect(byId.get(emu.store.scopeIds()[1])).toEqual(["no-op", "read"]);
  });
});
