/**
 * The Apollo Federation 2 subgraph variant of the gateway's schema (`FEDERATION=true`). Derived from the
 * schema TypeGraphQL builds rather than declared twice: its SDL gets `@key(fields: "id")` on every
 * entity and the federation `@link`, and its resolvers are reused as they are. Entities are resolved by
 * id through the request's loaders, so an `_entities` call is batched like `nodes`.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import { Kind, parse, printSchema, visit, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema } from "graphql";
import { createResolversMap } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { loadNode } from "../graphql/resolvers/node.resolver.js";
import { NODE_TYPE_NAMES } from "../graphql/types/node.type.js";

/** The resolver map `buildSubgraphSchema` takes (not exported by @apollo/subgraph's entry point). */
type ResolverMap = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>["resolvers"]>;

/** The entity types: every Node implementation, keyed by its Boundary id. */
export const ENTITY_TYPES: readonly string[] = Object.values(NODE_TYPE_NAMES);

/** Federation 2.3: `@key` is all we use, and 2.3 is understood by every current router and gateway. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/** The subgraph's type definitions: the gateway's SDL with `@key(fields: "id")` on each entity. */
export function subgraphTypeDefs(gateway: GraphQLSchema): DocumentNode {
  const key: ConstDirectiveNode = {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: "key" },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: "fields" }, value: { kind: Kind.STRING, value: "id" } }],
  };
  const doc = visit(parse(printSchema(gateway)), {
    ObjectTypeDefinition(node) {
      if (!ENTITY_TYPES.includes(node.name.value)) return undefined;
      return { ...node, directives: [...(node.directives ?? []), key] };
    },
  });
  return { ...doc, definitions: [...parse(FEDERATION_LINK).definitions, ...doc.definitions] };
}

/** Build the subgraph schema from the gateway's schema; the resolvers are the gateway's own. */
export function buildSubgraphFrom(gateway: GraphQLSchema): GraphQLSchema {
  const resolvers = createResolversMap(gateway) as ResolverMap;
  for (const typeName of ENTITY_TYPES) {
    const existing = resolvers[typeName] as Record<string, unknown> | undefined;
    // `__resolveReference(reference, context)`: the reference's `__typename` picked this type; its id
    // must carry the matching prefix, or loadNode would return (and type) a different resource.
    resolvers[typeName] = {
      ...existing,
      __resolveReference: (reference: { id: string }, ctx: GatewayContext) => loadNode(reference.id, ctx, "representations"),
    } as ResolverMap[string];
  }
  return buildSubgraphSchema({ typeDefs: subgraphTypeDefs(gateway), resolvers });
}
