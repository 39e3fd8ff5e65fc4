import { readFile } from "node:fs/promises";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { printSubgraphSchema } from "../../src/schema.js";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;
let wire: WireSession;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 30, seed: 13 }, env: { FEDERATION: "true" } });
  admin = stack.emulator.tokens.admin.token;
  wire = stack.emulator.store.sessions().find((s) => s.target_id && s.host_id && s.host_set_id && s.auth_token_id)!;
});
afterEach(() => {
  stack.emulator.faults.latencyMs = 0;
});
afterAll(() => stack.close());

/** A second subgraph: tickets about sessions, contributing `Session.tickets`. */
const TICKETS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Query {
    tickets: [Ticket!]!
  }

  type Ticket @key(fields: "id") {
    id: ID!
    title: String!
    session: Session
  }

  type Session @key(fields: "id") {
    id: ID!
    tickets: [Ticket!]!
  }
`;

const ENTITIES = `query E($r: [_Any!]!) { _entities(representations: $r) { __typename
  ... on Session { id status targetId user { loginName } }
  ... on Scope { id name version }
  ... on Target { id name }
  ... on User { id loginName }
  ... on Host { id address }
  ... on HostSet { id name }
  ... on AuthToken { id userId } } }`;

describe("FEDERATION=true: an Apollo Federation 2 subgraph", () => {
  it('serves its SDL with @key(fields: "id") on each entity, the same as the committed subgraph.graphql (`npm run subgraph`)', async () => {
    const res = await stack.gql(`{ _service { sdl } }`, {}, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const sdl = res.body.data!._service.sdl as string;
    for (const type of ["Session", "Scope", "Target", "User", "Host", "HostSet", "AuthToken"]) {
      expect(sdl).toMatch(new RegExp(`type ${type} implements Node\\s+@key\\(fields: "id"\\)`));
    }
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])');
    const committed = await readFile(new URL("../../subgraph.graphql", import.meta.url), "utf8");
    expect(committed).toBe(await printSubgraphSchema());
    expect(committed.trimEnd()).toBe(sdl.trimEnd());
  });

  it("composes with a second subgraph (@apollo/composition) into a supergraph where Session spans both", async () => {
    const res = await stack.gql(`{ _service { sdl } }`, {}, { token: admin });
    const result = composeServices([
      { name: "boundary", typeDefs: parse(res.body.data!._service.sdl), url: `${stack.gateway.url}/graphql` },
      { name: "tickets", typeDefs: parse(TICKETS_SDL), url: "http://tickets.invalid/graphql" },
    ]);
    expect(result.errors).toBeUndefined();
    const supergraph = result.supergraphSdl!;
    expect(supergraph).toMatch(
      /type Session implements Node\s+@join__implements\(graph: BOUNDARY, interface: "Node"\)\s+@join__type\(graph: BOUNDARY, key: "id"\)\s+@join__type\(graph: TICKETS, key: "id"\)/,
    );
    const session = result.schema!.toAPISchema().type("Session");
    expect(session && "field" in session && session.field("tickets") && session.field("status")).toBeTruthy();
  });

  it("resolves _entities of every entity type through the loaders: each distinct id read once, concurrently", async () => {
    const reps = [
      { __typename: "Session", id: wire.id },
      { __typename: "Scope", id: wire.scope_id },
      { __typename: "Target", id: wire.target_id },
      { __typename: "User", id: wire.user_id },
      { __typename: "Host", id: wire.host_id },
      { __typename: "HostSet", id: wire.host_set_id },
      { __typename: "AuthToken", id: wire.auth_token_id },
      { __typename: "Session", id: wire.id },
      { __typename: "Scope", id: "global" },
    ];
    stack.emulator.faults.latencyMs = 30;
    stack.emulator.clearCalls();
    const res = await stack.gql(ENTITIES, { r: reps }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const entities = res.body.data!._entities as Record<string, any>[];
    expect(entities.map((e) => [e.__typename, e.id])).toEqual(reps.map((r) => [r.__typename, r.id]));
    expect(entities[0]).toMatchObject({ status: wire.status!.toUpperCase(), targetId: wire.target_id });
    expect(entities[0]!.user.loginName).toBe(entities[3]!.loginName);
    expect(entities[4]!.address).toEqual(expect.any(String));

    const calls = stack.emulator.calls;
    // Seven distinct resources (plus global), the session's user read once for both mentions.
    expect(calls.map((c) => c.path).sort()).toEqual(
      [
        `/v1/sessions/${wire.id}`,
        `/v1/scopes/${wire.scope_id}`,
        "/v1/scopes/global",
        `/v1/targets/${wire.target_id}`,
        `/v1/users/${wire.user_id}`,
        `/v1/hosts/${wire.host_id}`,
        `/v1/host-sets/${wire.host_set_id}`,
        `/v1/auth-tokens/${wire.auth_token_id}`,
      ].sort(),
    );
    const firstEnd = Math.min(...calls.map((c) => c.end));
    // The user's read may wait for nothing: it is asked for by the User representation too.
    expect(calls.every((c) => c.start < firstEnd)).toBe(true);
  });

  it("nulls only the representations that fail: FORBIDDEN for the caller, BAD_USER_INPUT for an id of another type", async () => {
    const alice = stack.emulator.tokens.users[0]!;
    const own = stack.emulator.store.sessions().find((s) => s.user_id === alice.userId && s.host_id)!;
    const res = await stack.gql(
      ENTITIES,
      {
        r: [
          { __typename: "Session", id: own.id },
          { __typename: "Host", id: own.host_id },
          { __typename: "User", id: own.id },
          { __typename: "User", id: alice.userId },
        ],
      },
      { token: alice.token },
    );
    const entities = res.body.data!._entities;
    expect(entities[0]).toMatchObject({ __typename: "Session", id: own.id });
    expect(entities[1]).toBeNull();
    expect(entities[2]).toBeNull();
    expect(entities[3]).toMatchObject({ __typename: "User", id: alice.userId, loginName: alice.loginName });
    const byPath = Object.fromEntries(res.body.errors!.map((e) => [JSON.stringify(e.path), e.extensions!.code]));
    expect(byPath).toEqual({ '["_entities",1]': "FORBIDDEN", '["_entities",2]': "BAD_USER_INPUT" });
  });

  it("refuses a representation whose __typename is not an entity as BAD_USER_INPUT, with no read started", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(
      ENTITIES,
      { r: [{ __typename: "Session", id: "s_0000000000" }, { __typename: "Connection", id: "x" }, { id: wire.id }] },
      { token: admin },
    );
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ["_entities"], extensions: { code: "BAD_USER_INPUT", field: "representations" } });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("is served through the same ApolloServer: the query limits apply to _entities", async () => {
    const limited = await startStack({ emulator: { sessions: 5, seed: 13 }, env: { FEDERATION: "true", MAX_COST: "3" } });
    try {
      const ids = limited.emulator.store.sessions().map((s) => ({ __typename: "Session", id: s.id }));
      const res = await limited.gql(
        `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Session { id } } }`,
        { r: ids },
        {
          token: limited.emulator.tokens.admin.token,
        },
      );
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.extensions!.code).toBe("QUERY_TOO_COMPLEX");
      expect(limited.emulator.calls).toHaveLength(0);
    } finally {
      await limited.close();
    }
  });
});
