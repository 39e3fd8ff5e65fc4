import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { ScopeResolver } from "./graphql/resolvers/scope.resolver.js";
import { SessionResolver } from "./graphql/resolvers/session.resolver.js";

let built: Promise<GraphQLSchema> | undefined;

/** The gateway's schema, built once per process from the TypeGraphQL classes. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [SessionResolver, ScopeResolver],
    // Arguments are checked where they are used (ids, `first`); class-validator is not a dependency.
    validate: false,
  }).then((schema) => {
    // TypeGraphQL has no way to describe the root types.
    const query = schema.getQueryType();
    if (query) query.description = "Reads from the Boundary controller, with the caller's token.";
    const mutation = schema.getMutationType();
    if (mutation) mutation.description = "Changes made in Boundary, with the caller's token.";
    return schema;
  });
  return built;
}

/** The SDL committed as schema.graphql (`npm run schema`; a test fails when they differ). */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema())}\n`;
}
