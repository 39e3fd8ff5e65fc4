import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireScope, WireSession } from "../../src/boundary/wire.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { CONNECTION_FIELDS, SESSION_FIELDS, expectConnectionsMapped, expectSessionMapped, readDirect } from "../helpers/expect-session.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 80, seed: 7 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const QUERY = `query One($id: ID!) { session(id: $id) { ${SESSION_FIELDS}
  connections { ${CONNECTION_FIELDS} }
  scope { id type name description parentScopeId } } }`;

describe("session(id)", () => {
  it("maps every field of sessions in each status, connections included, as the controller sends them", async () => {
    const all = stack.emulator.store.sessions();
    const byStatus = new Map<string, WireSession>();
    for (const s of all)
      if (!byStatus.has(s.status!) && (s.status === "pending" || (s.connections?.length ?? 0) > 0)) byStatus.set(s.status!, s);
    expect([...byStatus.keys()].sort()).toEqual(["active", "canceling", "pending", "terminated"]);

    for (const candidate of byStatus.values()) {
      const wire = await readDirect(stack.emulator.url, `/v1/sessions/${candidate.id}`, admin);
      const res = await stack.gql(QUERY, { id: wire.id }, { token: admin });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const s = res.body.data!.session;
      expectSessionMapped(s, wire);
      expectConnectionsMapped(s.connections, wire);
      expect(s.scope).toEqual({
        id: wire.scope!.id,
        type: wire.scope!.type.toUpperCase(),
        name: wire.scope!.name ?? null,
        description: wire.scope!.description ?? null,
        parentScopeId: wire.scope!.parent_scope_id ?? null,
      });
    }
  });

  it("keeps the controller's timestamp text exactly, fractional digits included", async () => {
    const wire = stack.emulator.store.sessions()[0]!;
    const res = await stack.gql(`{ session(id: "${wire.id}") { createdTime states { startTime } } }`, {}, { token: admin });
    expect(res.body.data!.session.createdTime).toBe(wire.created_time);
    expect(res.body.data!.session.states[0].startTime).toBe(wire.states![0]!.start_time);
  });

  it("answers the embedded scope fields with one session read and no scope read", async () => {
    const id = stack.emulator.store.sessions()[3]!.id;
    stack.emulator.clearCalls();
    const res = await stack.gql(`{ session(id: "${id}") { id scope { id name type parentScopeId } } }`, {}, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(stack.emulator.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1/sessions/${id}`]);
  });

  it("reads the same session once when a query asks for it twice", async () => {
    const id = stack.emulator.store.sessions()[5]!.id;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `{ a: session(id: "${id}") { id } b: session(id: "${id}") { version connections { bytesUp } } }`,
      {},
      { token: admin },
    );
    expect(res.body.data!.a.id).toBe(id);
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions\//)).toHaveLength(1);
  });

  it("loads full scope fields and parents through the scope reads", async () => {
    const wire = stack.emulator.store.sessions()[0]!;
    const projectId = wire.scope_id!;
    const project = await readDirect<WireScope>(stack.emulator.url, `/v1/scopes/${projectId}`, admin);
    const org = await readDirect<WireScope>(stack.emulator.url, `/v1/scopes/${project.scope_id}`, admin);
    const res = await stack.gql(
      `{ session(id: "${wire.id}") { scope { id createdTime updatedTime version primaryAuthMethodId authorizedActions
          parent { id type name parentScopeId createdTime parent { id type name description parentScopeId parent { id } } } } } }`,
      {},
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const scope = res.body.data!.session.scope;
    expect(scope.createdTime).toBe(project.created_time);
    expect(scope.updatedTime).toBe(project.updated_time);
    expect(scope.version).toBe(project.version);
    expect(scope.primaryAuthMethodId).toBe(project.primary_auth_method_id ?? null);
    expect([...scope.authorizedActions].sort()).toEqual([...(project.authorized_actions ?? [])].sort());
    expect(scope.parent).toMatchObject({
      id: org.id,
      type: "ORG",
      name: org.name ?? null,
      parentScopeId: "global",
      createdTime: org.created_time,
    });
    expect(scope.parent.parent).toEqual({
      id: "global",
      type: "GLOBAL",
      name: "global",
      description: "Global Scope",
      parentScopeId: null,
      parent: null,
    });
  });

  it("answers a missing session with NOT_FOUND and null", async () => {
    const res = await stack.gql(`{ session(id: "s_0000000000") { id } }`, {}, { token: admin });
    expect(res.body.data).toEqual({ session: null });
    expect(res.body.errors![0]!.extensions!.code).toBe("NOT_FOUND");
    expect(res.body.errors![0]!.path).toEqual(["session"]);
    expect(res.body.errors![0]!.extensions!.upstream).toMatchObject({ status: 404, kind: "NotFound" });
  });
});
