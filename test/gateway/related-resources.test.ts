import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WireAuthToken, WireHost, WireHostSet, WireSession, WireTarget, WireUser } from "../../src/boundary/wire.js";
import type { CallRecord } from "../../src/emulator/types.js";
import { readDirect } from "../helpers/expect-session.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 150, seed: 11, orgs: 2, projectsPerOrg: 2 } });
  admin = stack.emulator.tokens.admin.token;
});
afterEach(() => {
  stack.emulator.faults.latencyMs = 0;
  stack.emulator.faults.clear();
});
afterAll(() => stack.close());

/** The most calls that were in flight at the same moment. */
function maxInFlight(calls: CallRecord[]): number {
  const edges = calls.flatMap((c) => [
    { t: c.start, d: 1 },
    { t: c.end, d: -1 },
  ]);
  // At equal times an end comes first: the next call began once the previous one had answered.
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (now += e.d));
  return most;
}

const RELATED = /^\/v1\/(targets|users|hosts|host-sets|auth-tokens)\//;

const NEIGHBOURS = `targetId userId hostId hostSetId authTokenId
  target { id name } user { id loginName } host { id address } hostSet { id name } authToken { id expirationTime }`;

const sessionsOf = (pred: (s: WireSession) => boolean) => stack.emulator.store.sessions().filter(pred);

describe("a session's related resources", () => {
  it("maps the main fields of each related resource as the controller sends them", async () => {
    const wire = sessionsOf((s) => !!(s.target_id && s.host_id && s.host_set_id && s.auth_token_id && s.user_id))[0]!;
    const res = await stack.gql(
      `query One($id: ID!) { session(id: $id) {
        target { id scopeId name description createdTime updatedTime version type hostSourceIds hostSources { id hostCatalogId }
          sessionMaxSeconds sessionConnectionLimit egressWorkerFilter ingressWorkerFilter brokeredCredentialSourceIds
          injectedApplicationCredentialSourceIds defaultPort defaultClientPort address aliases { id value scopeId } authorizedActions
          scope { id type name parentScopeId } }
        user { id scopeId name description createdTime updatedTime version accountIds loginName fullName email primaryAccountId
          authorizedActions scope { id type name } }
        host { id hostCatalogId plugin { id } name description createdTime updatedTime version type hostSetIds address ipAddresses
          dnsNames externalId externalName authorizedActions scope { id type name } }
        hostSet { id hostCatalogId plugin { id } name description createdTime updatedTime version type hostIds preferredEndpoints
          syncIntervalSeconds authorizedActions scope { id name } }
        authToken { id scopeId userId authMethodId accountId createdTime updatedTime approximateLastUsedTime expirationTime
          authorizedActions scope { id type } }
      } }`,
      { id: wire.id },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const s = res.body.data!.session;
    const url = stack.emulator.url;
    const t = await readDirect<WireTarget>(url, `/v1/targets/${wire.target_id}`, admin);
    const u = await readDirect<WireUser>(url, `/v1/users/${wire.user_id}`, admin);
    const h = await readDirect<WireHost>(url, `/v1/hosts/${wire.host_id}`, admin);
    const hs = await readDirect<WireHostSet>(url, `/v1/host-sets/${wire.host_set_id}`, admin);
    const at = await readDirect<WireAuthToken>(url, `/v1/auth-tokens/${wire.auth_token_id}`, admin);
    const sorted = (a: string[] | undefined) => [...(a ?? [])].sort();

    expect({ ...s.target, authorizedActions: sorted(s.target.authorizedActions) }).toEqual({
      id: t.id,
      scopeId: t.scope_id,
      name: t.name ?? null,
      description: t.description ?? null,
      createdTime: t.created_time,
      updatedTime: t.updated_time,
      version: t.version,
      type: t.type,
      hostSourceIds: t.host_source_ids ?? [],
      hostSources: (t.host_sources ?? []).map((x) => ({ id: x.id, hostCatalogId: x.host_catalog_id ?? null })),
      sessionMaxSeconds: t.session_max_seconds ?? null,
      sessionConnectionLimit: t.session_connection_limit ?? null,
      egressWorkerFilter: t.egress_worker_filter ?? null,
      ingressWorkerFilter: t.ingress_worker_filter ?? null,
      brokeredCredentialSourceIds: t.brokered_credential_source_ids ?? [],
      injectedApplicationCredentialSourceIds: t.injected_application_credential_source_ids ?? [],
      defaultPort: t.attributes?.default_port ?? null,
      defaultClientPort: t.attributes?.default_client_port ?? null,
      address: t.address ?? null,
      aliases: [],
      authorizedActions: sorted(t.authorized_actions),
      scope: { id: t.scope!.id, type: "PROJECT", name: t.scope!.name, parentScopeId: t.scope!.parent_scope_id },
    });
    expect({ ...s.user, authorizedActions: sorted(s.user.authorizedActions) }).toEqual({
      id: u.id,
      scopeId: u.scope_id,
      name: u.name ?? null,
      description: u.description ?? null,
      createdTime: u.created_time,
      updatedTime: u.updated_time,
      version: u.version,
      accountIds: u.account_ids,
      loginName: u.login_name,
      fullName: u.full_name,
      email: u.email,
      primaryAccountId: u.primary_account_id,
      authorizedActions: sorted(u.authorized_actions),
      scope: { id: "global", type: "GLOBAL", name: "global" },
    });
    expect({ ...s.host, authorizedActions: sorted(s.host.authorizedActions) }).toEqual({
      id: h.id,
      hostCatalogId: h.host_catalog_id,
      plugin: null,
      name: h.name ?? null,
      description: h.description ?? null,
      createdTime: h.created_time,
      updatedTime: h.updated_time,
      version: h.version,
      type: "static",
      hostSetIds: h.host_set_ids,
      address: h.attributes!.address,
      ipAddresses: [],
      dnsNames: [],
      externalId: null,
      externalName: null,
      authorizedActions: sorted(h.authorized_actions),
      scope: { id: h.scope!.id, type: "PROJECT", name: h.scope!.name },
    });
    expect({ ...s.hostSet, authorizedActions: sorted(s.hostSet.authorizedActions) }).toEqual({
      id: hs.id,
      hostCatalogId: hs.host_catalog_id,
      plugin: null,
      name: hs.name ?? null,
      description: hs.description ?? null,
      createdTime: hs.created_time,
      updatedTime: hs.updated_time,
      version: hs.version,
      type: "static",
      hostIds: hs.host_ids,
      preferredEndpoints: [],
      syncIntervalSeconds: null,
      authorizedActions: sorted(hs.authorized_actions),
      scope: { id: hs.scope!.id, name: hs.scope!.name },
    });
    expect({ ...s.authToken, authorizedActions: sorted(s.authToken.authorizedActions) }).toEqual({
      id: at.id,
      scopeId: at.scope_id,
      userId: at.user_id,
      authMethodId: at.auth_method_id,
      accountId: at.account_id,
      createdTime: at.created_time,
      updatedTime: at.updated_time,
      approximateLastUsedTime: at.approximate_last_used_time,
      expirationTime: at.expiration_time,
      authorizedActions: sorted(at.authorized_actions),
      scope: { id: "global", type: "GLOBAL" },
    });
    // The related ids agree with the session's own id fields.
    expect([s.target.id, s.user.id, s.host.id, s.hostSet.id, s.authToken.id]).toEqual([
      wire.target_id,
      wire.user_id,
      wire.host_id,
      wire.host_set_id,
      wire.auth_token_id,
    ]);
  });

  it("reads each distinct target, user, host, host set and auth token once per request, concurrently up to 16", async () => {
    stack.emulator.faults.latencyMs = 30;
    stack.emulator.clearCalls();
    const res = await stack.gql(`{ sessions(first: 200, includeTerminated: true) { items { id ${NEIGHBOURS} } } }`, {}, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const items = res.body.data!.sessions.items as Record<string, any>[];
    expect(items).toHaveLength(150);

    const expected = new Set<string>();
    const collections: [string, string][] = [
      ["targetId", "targets"],
      ["userId", "users"],
      ["hostId", "hosts"],
      ["hostSetId", "host-sets"],
      ["authTokenId", "auth-tokens"],
    ];
    for (const [field, collection] of collections) {
      for (const s of items) if (s[field]) expected.add(`/v1/${collection}/${s[field]}`);
    }
    const reads = callsTo(stack.emulator, "GET", RELATED);
    // Each distinct id exactly once: no duplicates, nothing missing, nothing extra.
    expect(reads.map((c) => c.path).sort()).toEqual([...expected].sort());
    expect(reads.length).toBeGreaterThan(16);
    // Distinct ids are read concurrently, never more than the default cap at once.
    expect(maxInFlight(reads)).toBe(16);
    for (const s of items) {
      expect(s.target?.id ?? null).toBe(s.targetId);
      expect(s.user?.id ?? null).toBe(s.userId);
      expect(s.host?.id ?? null).toBe(s.hostId);
      expect(s.hostSet?.id ?? null).toBe(s.hostSetId);
      expect(s.authToken?.id ?? null).toBe(s.authTokenId);
    }
  });

  it("caps in-flight upstream reads per request at MAX_UPSTREAM_CONCURRENCY_PER_REQUEST, across all loaders", async () => {
    const capped = await startStack({ emulator: { sessions: 40, seed: 11 }, env: { MAX_UPSTREAM_CONCURRENCY_PER_REQUEST: "3" } });
    try {
      capped.emulator.faults.latencyMs = 20;
      const res = await capped.gql(
        `{ sessions(first: 200, includeTerminated: true) { items { ${NEIGHBOURS} scope { version parent { version } } } } }`,
        {},
        { token: capped.emulator.tokens.admin.token },
      );
      expect(res.body.errors).toBeUndefined();
      const reads = capped.emulator.calls.filter((c) => c.method === "GET" && c.path !== "/v1/sessions");
      expect(reads.length).toBeGreaterThan(10);
      expect(maxInFlight(reads)).toBe(3);
    } finally {
      await capped.close();
    }
  });

  it("resolves an absent target, host, host set or auth token id to null with no upstream call", async () => {
    const noTarget = sessionsOf((s) => !s.target_id)[0];
    const noToken = sessionsOf((s) => !s.auth_token_id && !!s.target_id)[0];
    const direct = sessionsOf((s) => !!s.target_id && !s.host_id)[0];
    expect([noTarget, noToken, direct].every(Boolean)).toBe(true);
    for (const wire of [noTarget!, noToken!, direct!]) {
      stack.emulator.clearCalls();
      const res = await stack.gql(`query One($id: ID!) { session(id: $id) { id ${NEIGHBOURS} } }`, { id: wire.id }, { token: admin });
      expect(res.body.errors).toBeUndefined();
      const s = res.body.data!.session;
      const reads: string[] = [];
      for (const [field, idField, collection] of [
        ["target", "targetId", "targets"],
        ["host", "hostId", "hosts"],
        ["hostSet", "hostSetId", "host-sets"],
        ["authToken", "authTokenId", "auth-tokens"],
        ["user", "userId", "users"],
      ] as const) {
        if (s[idField] === null) expect(s[field]).toBeNull();
        else reads.push(`/v1/${collection}/${s[idField]}`);
      }
      expect(stack.emulator.calls.map((c) => c.path).sort()).toEqual([`/v1/sessions/${wire.id}`, ...reads].sort());
    }
    const res = await stack.gql(
      `{ session(id: "${noTarget!.id}") { targetId target { id } host { id } hostSet { id } } }`,
      {},
      { token: admin },
    );
    expect(res.body.data!.session).toEqual({ targetId: null, target: null, host: null, hostSet: null });
  });
});

describe("partial errors on related resources", () => {
  it("an ordinary user's sessions: hosts and host sets are FORBIDDEN at their paths, the rest of the answer stands", async () => {
    const alice = stack.emulator.tokens.users[0]!;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `{ sessions(first: 200, includeTerminated: true) { items { id status ${NEIGHBOURS} } } }`,
      {},
      { token: alice.token },
    );
    expect(res.status).toBe(200);
    const items = res.body.data!.sessions.items as Record<string, any>[];
    expect(items.length).toBeGreaterThan(3);

    const expectedErrors: string[] = [];
    items.forEach((s, i) => {
      expect(s.userId).toBe(alice.userId);
      // Reads the caller may do (their own user and token, targets) are answered...
      expect(s.user).toEqual({ id: alice.userId, loginName: alice.loginName });
      if (s.targetId) expect(s.target.id).toBe(s.targetId);
      if (s.authTokenId) expect(s.authToken.id).toBe(s.authTokenId);
      // ...and the ones it may not (hosts, host sets) are null, each with its own error.
      expect(s.host).toBeNull();
      expect(s.hostSet).toBeNull();
      if (s.hostId) expectedErrors.push(JSON.stringify(["sessions", "items", i, "host"]));
      if (s.hostSetId) expectedErrors.push(JSON.stringify(["sessions", "items", i, "hostSet"]));
    });
    expect(expectedErrors.length).toBeGreaterThan(0);
    const errors = res.body.errors!;
    expect(errors.map((e) => JSON.stringify(e.path)).sort()).toEqual(expectedErrors.sort());
    for (const e of errors) expect(e.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403 } });
    // A refused id is still read only once per request, however many sessions name it.
    const hostReads = callsTo(stack.emulator, "GET", /^\/v1\/hosts\//);
    expect(new Set(hostReads.map((c) => c.path)).size).toBe(hostReads.length);
    expect(hostReads.every((c) => c.status === 403)).toBe(true);
  });

  it("a user who may read every session but only themself: other users are FORBIDDEN, their own user is answered", async () => {
    const limited = stack.emulator.tokens.scopeLimited;
    const res = await stack.gql(
      `{ sessions(first: 200, includeTerminated: true) { items { id userId user { id email } } } }`,
      {},
      { token: limited.token },
    );
    const items = res.body.data!.sessions.items as { userId: string; user: { id: string } | null }[];
    const forbidden = new Set<string>();
    items.forEach((s, i) => {
      if (s.userId === limited.userId) expect(s.user!.id).toBe(limited.userId);
      else {
        expect(s.user).toBeNull();
        forbidden.add(JSON.stringify(["sessions", "items", i, "user"]));
      }
    });
    expect(forbidden.size).toBeGreaterThan(0);
    expect(new Set(res.body.errors!.map((e) => JSON.stringify(e.path)))).toEqual(forbidden);
    expect(new Set(res.body.errors!.map((e) => e.extensions!.code))).toEqual(new Set(["FORBIDDEN"]));
  });

  it("a vanished resource (404) is null with NOT_FOUND at its path; its siblings stand", async () => {
    const wire = sessionsOf((s) => !!(s.target_id && s.host_id))[0]!;
    stack.emulator.faults.add({ kind: "status", status: 404, match: new RegExp(`^GET /v1/targets/${wire.target_id}$`) });
    const res = await stack.gql(`{ session(id: "${wire.id}") { id status target { name } host { id } } }`, {}, { token: admin });
    expect(res.body.data!.session).toMatchObject({ id: wire.id, target: null, host: { id: wire.host_id } });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({
      path: ["session", "target"],
      extensions: { code: "NOT_FOUND", upstream: { status: 404 } },
    });
  });
});

describe("reverse edges", () => {
  it("Scope.sessions lists that scope's sessions, like Query.sessions with its scopeId", async () => {
    const project = stack.emulator.store.sessions()[0]!.scope_id!;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `query Q($p: ID!) {
        scope(id: $p) { sessions(first: 200, includeTerminated: true) { items { id scopeId } hasNextPage responseType } }
        sessions(scopeId: $p, first: 200, includeTerminated: true) { items { id } }
      }`,
      { p: project },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const page = res.body.data!.scope.sessions;
    const ids = page.items.map((s: { id: string }) => s.id);
    expect(ids).toEqual(res.body.data!.sessions.items.map((s: { id: string }) => s.id));
    expect(new Set(ids)).toEqual(new Set(sessionsOf((s) => s.scope_id === project).map((s) => s.id)));
    expect(page).toMatchObject({ hasNextPage: false, responseType: "COMPLETE" });
    // The same listing asked for twice in one request is walked once.
    const lists = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    expect(lists).toHaveLength(1);
    expect(lists[0]!.query).toMatchObject({ scope_id: project, recursive: "true", include_terminated: "true" });
  });

  it("Scope.sessions pages with first/after and lists once per distinct scope", async () => {
    const res = await stack.gql(
      `{ sessions(first: 20) { items { scopeId scope { sessions(first: 2) { items { id scopeId } hasNextPage listToken } } } } }`,
      {},
      {
        token: admin,
      },
    );
    expect(res.body.errors).toBeUndefined();
    const items = res.body.data!.sessions.items as {
      scopeId: string;
      scope: { sessions: { items: { scopeId: string }[]; hasNextPage: boolean; listToken: string } };
    }[];
    const projects = new Set(items.map((s) => s.scopeId));
    for (const s of items) {
      expect(s.scope.sessions.items).toHaveLength(2);
      expect(s.scope.sessions.items.every((x) => x.scopeId === s.scopeId)).toBe(true);
      expect(s.scope.sessions.hasNextPage).toBe(true);
    }
    stack.emulator.clearCalls();
    await stack.gql(`{ sessions(first: 20) { items { scope { sessions(first: 2) { items { id } } } } } }`, {}, { token: admin });
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(1 + projects.size);

    const first = items[0]!;
    const next = await stack.gql(
      `query N($p: ID!, $after: String) { scope(id: $p) { sessions(first: 2, after: $after) { items { id scopeId } } } }`,
      { p: first.scopeId, after: first.scope.sessions.listToken },
      { token: admin },
    );
    expect(next.body.errors).toBeUndefined();
    const nextItems = next.body.data!.scope.sessions.items as { id: string; scopeId: string }[];
    expect(nextItems).toHaveLength(2);
    expect(nextItems.every((x) => x.scopeId === first.scopeId)).toBe(true);
  });

  it("User.sessions lists the user's sessions through a filter on /item/user_id, combined with the caller's filter", async () => {
    const bob = stack.emulator.tokens.users[1]!;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `query U($s: ID!) { session(id: $s) { user { id
        all: sessions(first: 200, includeTerminated: true) { items { id userId } }
        active: sessions(filter: "\\"/item/status\\" == \\"active\\"") { items { id status } } } } }`,
      { s: sessionsOf((s) => s.user_id === bob.userId)[0]!.id },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const user = res.body.data!.session.user;
    expect(new Set(user.all.items.map((s: { id: string }) => s.id))).toEqual(
      new Set(sessionsOf((s) => s.user_id === bob.userId).map((s) => s.id)),
    );
    expect(new Set(user.active.items.map((s: { id: string }) => s.id))).toEqual(
      new Set(sessionsOf((s) => s.user_id === bob.userId && s.status === "active").map((s) => s.id)),
    );
    const filters = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/).map((c) => c.query.filter);
    expect(filters.sort()).toEqual(
      [`"/item/user_id" == "${bob.userId}"`, `"/item/user_id" == "${bob.userId}" and ("/item/status" == "active")`].sort(),
    );
  });

  it("User.sessions on many sessions of few users lists once per distinct user", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `{ sessions(first: 30) { items { userId user { sessions(first: 1) { items { userId } } } } } }`,
      {},
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const items = res.body.data!.sessions.items as { userId: string; user: { sessions: { items: { userId: string }[] } } }[];
    for (const s of items) expect(s.user.sessions.items[0]!.userId).toBe(s.userId);
    const users = new Set(items.map((s) => s.userId));
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/)).toHaveLength(1 + users.size);
    expect(callsTo(stack.emulator, "GET", /^\/v1\/users\//)).toHaveLength(users.size);
  });
});
