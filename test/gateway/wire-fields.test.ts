/**
 * Every property the controller sends on the resources the gateway serves has a GraphQL field, walked
 * from the vendored spec (test/fixtures/controller-schemas.json, Boundary's own swagger file). A new
 * controller property fails here until it gets a field or a commented exclusion.
 */
import { readFileSync } from "node:fs";
import { GraphQLObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGatewaySchema } from "../../src/schema.js";
import { startStack, type Stack } from "../helpers/harness.js";

const spec = JSON.parse(readFileSync(new URL("../fixtures/controller-schemas.json", import.meta.url), "utf8")) as {
  definitions: Record<string, { properties?: Record<string, unknown> }>;
};

/** GraphQL type name → spec definition. */
const TYPES: Record<string, string> = {
  Session: "controller.api.resources.sessions.v1.Session",
  State: "controller.api.resources.sessions.v1.SessionState",
  Connection: "controller.api.resources.sessions.v1.Connection",
  Scope: "controller.api.resources.scopes.v1.Scope",
  Target: "controller.api.resources.targets.v1.Target",
  User: "controller.api.resources.users.v1.User",
  Host: "controller.api.resources.hosts.v1.Host",
  HostSet: "controller.api.resources.hostsets.v1.HostSet",
  AuthToken: "controller.api.resources.authtokens.v1.AuthToken",
};

/** Wire properties served under another name. */
const RENAMED: Record<string, string> = {
  // A scope's own `scope` is its parent's scope info; served as the parent scope itself.
  "Scope.scope": "parent",
};

/** Wire properties with no field, and why. Keep this short. */
const EXCLUDED = new Set<string>([
  // The secret itself: only the authenticate call returns it, and the gateway never serves it.
  "AuthToken.token",
  // Input only: aliases to create with a new target; the controller never sends it back.
  "Target.with_aliases",
]);

const camel = (wire: string) => wire.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe("the controller's wire fields", () => {
  it("each have a GraphQL field", async () => {
    const schema = await buildGatewaySchema();
    const missing: string[] = [];
    let checked = 0;
    for (const [typeName, definition] of Object.entries(TYPES)) {
      const type = schema.getType(typeName);
      expect(type, typeName).toBeInstanceOf(GraphQLObjectType);
      const fields = (type as GraphQLObjectType).getFields();
      const properties = Object.keys(spec.definitions[definition]?.properties ?? {});
      expect(properties.length, definition).toBeGreaterThan(2);
      for (const wire of properties) {
        const key = `${typeName}.${wire}`;
        if (EXCLUDED.has(key)) continue;
        checked++;
        const field = RENAMED[key] ?? camel(wire);
        if (!(field in fields)) missing.push(`${key} (expected ${typeName}.${field})`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it("lists exclusions and renames that still exist in the spec", () => {
    for (const key of [...EXCLUDED, ...Object.keys(RENAMED)]) {
      const [typeName, wire] = key.split(".") as [string, string];
      expect(Object.keys(spec.definitions[TYPES[typeName]!]!.properties!), key).toContain(wire);
    }
  });
});

describe("the new fields, read through the gateway", () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 10, seed: 12 } });
    admin = stack.emulator.tokens.admin.token;
  });
  afterAll(() => stack.close());

  const wire = async (path: string) =>
    (await (await fetch(`${stack.emulator.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Record<string, any>;

  it("Scope: scopeId, authorizedCollectionActions and storagePolicyId as the controller sends them", async () => {
    const project = stack.emulator.store.scopeIds().find((id) => id.startsWith("p_"))!;
    const res = await stack.gql(
      `query($id: ID!) { scope(id: $id) { id scopeId parentScopeId authorizedCollectionActions storagePolicyId } }`,
      { id: project },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const sent = await wire(`/v1/scopes/${project}`);
    expect(sent.authorized_collection_actions.sessions).toEqual(["list"]);
    expect(res.body.data!.scope).toEqual({
      id: project,
      scopeId: sent.scope_id,
      parentScopeId: sent.scope_id,
      authorizedCollectionActions: sent.authorized_collection_actions,
      storagePolicyId: null,
    });
  });

  it("Scope.scopeId from embedded scope info costs no read", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(`{ sessions(first: 3) { items { scope { id scopeId } } } }`, {}, { token: admin });
    const items = res.body.data!.sessions.items as { scope: { id: string; scopeId: string } }[];
    expect(items).toHaveLength(3);
    for (const s of items) expect(s.scope.scopeId).toMatch(/^o_/);
    expect(stack.emulator.calls.map((c) => c.path)).toEqual(["/v1/sessions"]);
  });

  it("User.accounts, Host.attributes and Target.attributes", async () => {
    const s = stack.emulator.store.sessions().find((x) => x.user_id && x.host_id && x.target_id)!;
    const res = await stack.gql(
      `query($u: ID!, $h: ID!, $t: ID!) {
        u: node(id: $u) { ... on User { accounts { id scopeId } } }
        h: node(id: $h) { ... on Host { attributes address } }
        t: node(id: $t) { ... on Target { attributes defaultPort brokeredCredentialSources { id } } }
      }`,
      { u: s.user_id, h: s.host_id, t: s.target_id },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    const [user, host, target] = await Promise.all([
      wire(`/v1/users/${s.user_id}`),
      wire(`/v1/hosts/${s.host_id}`),
      wire(`/v1/targets/${s.target_id}`),
    ]);
    expect(res.body.data!.u.accounts).toEqual(
      user.accounts.map((a: { id: string; scope_id: string }) => ({ id: a.id, scopeId: a.scope_id })),
    );
    expect(res.body.data!.h).toEqual({ attributes: host.attributes, address: host.attributes.address });
    expect(res.body.data!.t).toEqual({
      attributes: target.attributes,
      defaultPort: target.attributes.default_port,
      brokeredCredentialSources: [],
    });
  });

  it("Target credential sources, when the controller sends them", async () => {
    const s = stack.emulator.store.sessions().find((x) => x.target_id)!;
    const source = {
      id: "clvlt_1234567890",
      name: "db creds",
      description: "vault",
      credential_store_id: "csvlt_1234567890",
      type: "vault-generic",
      credential_type: "username_password",
    };
    const sent = {
      ...(await wire(`/v1/targets/${s.target_id}`)),
      brokered_credential_sources: [source],
      injected_application_credential_sources: [{ ...source, id: "credup_1234567890", type: "static" }],
    };
    stack.emulator.faults.add({ kind: "status", status: 200, body: sent, match: /^GET \/v1\/targets\// });
    const res = await stack.gql(
      `query($t: ID!) { node(id: $t) { ... on Target {
        brokeredCredentialSources { id name description credentialStoreId type credentialType }
        injectedApplicationCredentialSources { id type } } } }`,
      { t: s.target_id },
      { token: admin },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.node).toEqual({
      brokeredCredentialSources: [
        {
          id: source.id,
          name: "db creds",
          description: "vault",
          credentialStoreId: source.credential_store_id,
          type: "vault-generic",
          credentialType: "username_password",
        },
      ],
      injectedApplicationCredentialSources: [{ id: "credup_1234567890", type: "static" }],
    });
  });
});
