/**
 * TypeGraphQL calls every `@FieldResolver` method through a wrapper that, on each call, builds a
 * resolver-data object, asks its container for the resolver instance, sorts and maps the parameter
 * list and applies the method. For a field resolver that takes exactly `@Root()` and `@Ctx()` (no
 * arguments to convert, no middlewares, no roles; the schema is built with neither global middlewares
 * nor an auth checker nor validation) that wrapper adds nothing but allocations: on a page of 100
 * sessions with five neighbours it runs 500 times per request. Such fields are given a resolver that
 * calls the same method on the same instance directly.
 */
import { isObjectType, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

type FieldMethod = (root: unknown, ctx: unknown) => unknown;
/** A resolver class, as type-graphql's metadata names it (`target`). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own metadata type
type ResolverClass = Function;

/** Rewires the qualifying field resolvers of `resolvers` in `schema`; returns the fields rewired. */
export function callFieldResolversDirectly(schema: GraphQLSchema, resolvers: readonly ResolverClass[]): string[] {
  const storage = getMetadataStorage();
  const instances = new Map<ResolverClass, Record<string, unknown>>();
  const rewired: string[] = [];
  for (const meta of storage.fieldResolvers) {
    if (meta.kind !== "external" || !resolvers.includes(meta.target)) continue;
    if (meta.middlewares?.length || meta.roles?.length) continue;
    const params = [...(meta.params ?? [])].sort((a, b) => a.index - b.index);
    const [root, ctx] = params;
    const plain =
      params.length === 2 &&
      root?.kind === "root" &&
      root.propertyName === undefined &&
      root.getType === undefined &&
      ctx?.kind === "context" &&
      ctx.propertyName === undefined;
    if (!plain) continue;
    const objectClass = meta.resolverClassMetadata?.getObjectType();
    const typeName = storage.objectTypes.find((t) => t.target === objectClass)?.name;
    const type = typeName === undefined ? undefined : schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[meta.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(meta.target);
    if (!instance) {
      instance = new (meta.target as new () => Record<string, unknown>)();
      instances.set(meta.target, instance);
    }
    const method = instance[meta.methodName];
    if (typeof method !== "function") continue;
    const target = instance;
    const call = method as FieldMethod;
    field.resolve = (source, _args, context) => call.call(target, source, context);
    rewired.push(`${type!.name}.${field.name}`);
  }
  return rewired;
}
