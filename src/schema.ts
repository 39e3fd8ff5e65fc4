import "reflect-metadata";
import { graphql, isInterfaceType, printSchema, type GraphQLSchema } from "graphql";
import { buildSchema, type BuildSchemaOptions } from "type-graphql";
import { buildSubgraphFrom } from "./federation/subgraph.js";
import { assertDirectCallsAllowed, callFieldResolversDirectly } from "./graphql/direct-resolvers.js";
import { AuthTokenResolver } from "./graphql/resolvers/auth-token.resolver.js";
import { HostSetResolver } from "./graphql/resolvers/host-set.resolver.js";
import { HostResolver } from "./graphql/resolvers/host.resolver.js";
import { NodeResolver } from "./graphql/resolvers/node.resolver.js";
import { ScopeResolver } from "./graphql/resolvers/scope.resolver.js";
import { SessionResolver } from "./graphql/resolvers/session.resolver.js";
import { SubscriptionResolver, noPubSub } from "./graphql/resolvers/subscription.resolver.js";
import { TargetResolver } from "./graphql/resolvers/target.resolver.js";
import { UserResolver } from "./graphql/resolvers/user.resolver.js";
import { nodeTypeName } from "./graphql/types/node.type.js";

let built: Promise<GraphQLSchema> | undefined;

/** The resolver classes of the gateway schema. */
export const RESOLVERS = [
  SessionResolver,
  ScopeResolver,
  NodeResolver,
  TargetResolver,
  UserResolver,
  HostResolver,
  HostSetResolver,
  AuthTokenResolver,
  SubscriptionResolver,
] as const;

/** The gateway's schema, built once per process from the TypeGraphQL classes. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  const options: BuildSchemaOptions = {
    resolvers: RESOLVERS,
    // Required once a @Subscription exists; ours are fed by pollers (src/live), never by topics.
    pubSub: noPubSub,
    // Arguments are checked where they are used (ids, `first`); class-validator is not a dependency.
    validate: false,
  };
  // Field resolvers are called without TypeGraphQL's wrapper (below): nothing may need it.
  assertDirectCallsAllowed(options);
  built ??= buildSchema(options).then((schema) => {
    // TypeGraphQL has no way to describe the root types.
    const query = schema.getQueryType();
    if (query) query.description = "Reads from the Boundary controller, with the caller's token.";
    const mutation = schema.getMutationType();
    if (mutation) mutation.description = "Changes made in Boundary, with the caller's token.";
    const subscription = schema.getSubscriptionType();
    if (subscription)
      subscription.description =
        "Live views polled from the Boundary controller with the caller's token, over WebSocket (graphql-ws) at /graphql.";
    // TypeGraphQL wraps resolveType in an async function; graphql-jit (the fast lane) takes only a
    // synchronous answer, and graphql-js is as happy with one. Same function, unwrapped.
    const node = schema.getType("Node");
    if (isInterfaceType(node)) node.resolveType = nodeTypeName;
    // Neighbours and scopes of every listed item: no TypeGraphQL wrapper per call (see the module).
    callFieldResolversDirectly(schema, RESOLVERS);
    return schema;
  });
  return built;
}

/** The SDL committed as schema.graphql (`npm run schema`; a test fails when they differ). */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema())}\n`;
}

let subgraph: Promise<GraphQLSchema> | undefined;

/**
 * The same schema as an Apollo Federation 2 subgraph (`FEDERATION=true`): Session, Scope, Target, User,
 * Host, HostSet and AuthToken are entities keyed by `id`, plus `_service` and `_entities`. Served by the
 * same ApolloServer as the plain schema, so every plugin (limits, metrics) applies to it too.
 */
export function buildFederationSchema(): Promise<GraphQLSchema> {
  subgraph ??= buildGatewaySchema().then(buildSubgraphFrom);
  return subgraph;
}

/** The subgraph SDL a router fetches (`_service { sdl }`): written by `npm run subgraph`. */
export async function printSubgraphSchema(): Promise<string> {
  const result = await graphql({ schema: await buildFederationSchema(), source: "{ _service { sdl } }" });
  const sdl = (result.data as { _service?: { sdl?: string } } | null | undefined)?._service?.sdl;
  if (typeof sdl !== "string") throw new Error(`could not print the subgraph schema: ${JSON.stringify(result.errors)}`);
  return `${sdl.trimEnd()}\n`;
}
