import { Field, ID, InterfaceType } from "type-graphql";
import { RESOURCES, RESOURCE_KINDS, resourceKindOf, type ResourceKind } from "../../boundary/resources.js";

/** The GraphQL type of each resource kind, from the registry. */
export const NODE_TYPE_NAMES: Readonly<Record<ResourceKind, string>> = Object.fromEntries(
  RESOURCE_KINDS.map((k) => [k, RESOURCES[k].typeName]),
) as Record<ResourceKind, string>;

/** The concrete type of a resource value, from its id's prefix (undefined when it names none). */
export function nodeTypeName(value: { id?: unknown }): string | undefined {
  const kind = typeof value.id === "string" ? resourceKindOf(value.id) : undefined;
  return kind === undefined ? undefined : NODE_TYPE_NAMES[kind];
}

/**
 * Every resource the gateway reads by id. Values are plain objects from the mappers, not class
 * instances, so the concrete type comes from the id's prefix, as it does for `node(id)`.
 */
@InterfaceType({
  description:
    "Anything with a Boundary id. Boundary's ids are unique across resource types and their prefix names the type (`s_` session, `p_` project, `ttcp_` target, …), so `node(id)` can fetch any of them.",
  resolveType: nodeTypeName,
})
export abstract class Node {
  @Field(() => ID, { description: "The resource's Boundary id; its prefix names its type." })
  id!: string;
}
