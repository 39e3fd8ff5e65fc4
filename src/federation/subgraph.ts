/**
 * The Apollo Federation 2 subgraph variant of the gateway's schema (`FEDERATION=true`). Derived from the
 * schema TypeGraphQL builds rather than declared twice: its SDL gets `@key(fields: "id")` on every
 * entity and the federation `@link`, and its resolvers are reused as they are. Entities are resolved by
 * id through the request's loaders, so an `_entities` call is batched like `nodes`.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import { Kind, parse, printSchema, visit, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema } from "graphql";
import { createResolversMap } from "type-graphql";
import { resourceKindOf } from "../boundary/resources.js";
import type { GatewayContext } from "../graphql/context.js";
import { GatewayErrorCode, gatewayError } from "../graphql/errors.js";
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
    resolvers[typeName] = {
      ...existing,
      // Async, so a refusal rejects this representation only: @apollo/subgraph calls every
      // `__resolveReference` in one synchronous map, where a throw would fail the whole `_entities`.
      __resolveReference: async (reference: { id?: unknown }, ctx: GatewayContext) => {
        // The representation's `__typename` picked this type; its id must carry a matching prefix, or
        // loadNode would read a different kind of resource and the router would type it as this one.
        const id = reference.id;
        const kind = typeof id === "string" ? resourceKindOf(id) : undefined;
        if (typeof id !== "string" || kind === undefined || NODE_TYPE_NAMES[kind] !== typeName) {
          const shown =
            typeof id === "string" ? `"${id.length > 64 ? `${id.slice(0, 64)}…` : id}"` : "a representation without a string id";
          throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `${shown} is not the id of a ${typeName}.`, { field: "representations" });
        }
        return loadNode(id, ctx, "representations");
      },
    } as ResolverMap[string];
  }
  const schema = buildSubgraphSchema({ typeDefs: subgraphTypeDefs(gateway), resolvers });
  guardEntities(schema);
  return schema;
}

/**
 * @apollo/subgraph's `_entities` starts every representation's read in one synchronous map and throws
 * (a plain Error, masked as INTERNAL_SERVER_ERROR) at a representation whose `__typename` is not an
 * entity; the reads already started then reject with nobody listening, an unhandled rejection that
 * kills a Node process. Representations are checked first, and refused as the caller's mistake.
 */
function guardEntities(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) throw new Error("the subgraph schema has no _entities resolver");
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const reps = Array.isArray(args.representations) ? args.representations : [];
    reps.forEach((rep: unknown, i) => {
      const typename = rep !== null && typeof rep === "object" ? (rep as { __typename?: unknown }).__typename : undefined;
      if (typeof typename !== "string" || !ENTITY_TYPES.includes(typename)) {
        throw gatewayError(
          GatewayErrorCode.BAD_USER_INPUT,
          `representations[${i}] has no __typename of an entity (${ENTITY_TYPES.join(", ")}).`,
          { field: "representations" },
        );
      }
    });
    // Each representation's read is settled at its own index by the execution core (src/execution/list-settling.ts).
    return resolve(source, args, context, info);
  };
}
