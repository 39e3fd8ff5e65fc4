/**
 * Field resolvers taking only `@Root()` and `@Ctx()` are called without TypeGraphQL's per-call wrapper
 * (src/graphql/direct-resolvers.ts). What they answer is covered everywhere else; this holds the
 * rewiring to the fields it must reach and to the ones it must leave alone, so a change in
 * TypeGraphQL's metadata that silently turned it off (or on for a field with arguments) fails here.
 */
import { buildSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { CALLS_DIRECTLY, assertDirectCallsAllowed, callFieldResolversDirectly } from "../../src/graphql/direct-resolvers.js";
import { RESOLVERS, buildGatewaySchema } from "../../src/schema.js";

const WIRED = [
  "AuthToken.scope",
  "HostSet.scope",
  "Host.scope",
  "Scope.parent",
  "Scope.createdTime",
  "Scope.updatedTime",
  "Scope.version",
  "Scope.primaryAuthMethodId",
  "Scope.authorizedActions",
  "Scope.authorizedCollectionActions",
  "Scope.storagePolicyId",
  "Session.scope",
  "Session.connections",
  "Session.target",
  "Session.user",
  "Session.host",
  "Session.hostSet",
  "Session.authToken",
  "Target.scope",
  "User.scope",
];

describe("callFieldResolversDirectly", () => {
  it("rewires every root-and-context field resolver of the gateway schema, and nothing with arguments", async () => {
    const schema = await buildGatewaySchema();
    const field = (type: string, name: string) =>
      (schema.getType(type) as { getFields(): Record<string, { resolve?: (...a: unknown[]) => unknown }> }).getFields()[name]!;
    const direct = (type: string, name: string) =>
      (field(type, name).resolve as { [CALLS_DIRECTLY]?: boolean } | undefined)?.[CALLS_DIRECTLY] === true;
    // Already done by buildGatewaySchema.
    for (const name of WIRED) {
      const [type, f] = name.split(".") as [string, string];
      expect(direct(type, f), name).toBe(true);
    }
    expect([...callFieldResolversDirectly(schema, RESOLVERS)].sort()).toEqual([...WIRED].sort());
    // Fields with arguments keep TypeGraphQL's resolver, which converts them.
    for (const [type, name] of [
      ["Scope", "sessions"],
      ["User", "sessions"],
      ["Query", "session"],
      ["Query", "sessions"],
    ] as const) {
      expect(field(type, name).resolve, `${type}.${name}`).toBeTypeOf("function");
      expect(direct(type, name), `${type}.${name}`).toBe(false);
    }
  });

  it("calls the resolver's own method with the root and the context", async () => {
    const schema = await buildGatewaySchema();
    const session = (name: string) =>
      (schema.getType("Session") as { getFields(): Record<string, { resolve?: (...a: unknown[]) => unknown }> }).getFields()[name]!
        .resolve!;
    // No id: null without touching the context's loaders.
    expect(session("target")({ targetId: undefined }, {}, {}, undefined)).toBeNull();
    const embedded = { id: "p_1234567890", name: "embedded" };
    expect(session("scope")({ scopeInfo: embedded }, {}, {}, undefined)).toBe(embedded);
    const loaded = { id: "tssh_1234567890" };
    const ctx = { loaders: { target: { load: (id: string) => (id === "tssh_1234567890" ? loaded : undefined) } } };
    expect(session("target")({ targetId: "tssh_1234567890" }, {}, ctx, undefined)).toBe(loaded);
  });

  it("refuses a schema build with an option TypeGraphQL's wrapper would apply", () => {
    expect(() => assertDirectCallsAllowed({})).not.toThrow();
    expect(() => assertDirectCallsAllowed({ authChecker: () => true })).toThrow(/authChecker/);
    expect(() => assertDirectCallsAllowed({ globalMiddlewares: [async (_d, next) => next()] })).toThrow(/globalMiddlewares/);
    expect(() => assertDirectCallsAllowed({ container: { get: () => ({}) } })).toThrow(/container/);
  });

  it("leaves a schema without TypeGraphQL resolvers untouched", () => {
    const schema = buildSchema(`type Query { a: Int }`);
    expect(callFieldResolversDirectly(schema, RESOLVERS)).toEqual([]);
    expect(schema.getQueryType()!.getFields().a!.resolve).toBeUndefined();
  });
});
