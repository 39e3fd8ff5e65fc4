/**
 * TypeGraphQL calls every `@FieldResolver` method through a wrapper that, on each call, builds a
 * resolver-data object, asks its container for the resolver instance, sorts and maps the parameter
 * list and applies the method. For a field resolver that takes exactly `@Root()` and `@Ctx()` (no
 * arguments to convert, no middlewares, no roles; the schema is built with neither global middlewares
 * nor an auth checker nor validation) that wrapper adds nothing but allocations: on a page of 100
 * sessions with five neighbours it runs 500 times per request. Such fields are given a resolver that
 * calls the same method on the same instance directly. Measured with `npm run bench`'s listings:
 * about 25% more throughput on scenario 2 and 17% on scenario 5 than with TypeGraphQL's wrapper.
 *
 * It is sound only while the wrapper has nothing to do, so the schema build refuses the options that
 * would give it work (`assertDirectCallsAllowed`), and fields with their own middlewares or roles are
 * left alone. A rewired resolver carries `CALLS_DIRECTLY`, which the tests read.
 */
import { isObjectType, type GraphQLSchema } from "graphql";
import { getMetadataStorage, type BuildSchemaOptions } from "type-graphql";

/** Set on a field resolver that calls its method directly. */
export const CALLS_DIRECTLY: unique symbol = Symbol("calls its field resolver directly");

/**
 * Throws when the schema is built with an option that TypeGraphQL's wrapper applies per call: global
 * middlewares, an auth checker, or a container (which may hand out a resolver instance per request).
 */
export function assertDirectCallsAllowed(options: Pick<BuildSchemaOptions, "globalMiddlewares" | "authChecker" | "container">): void {
  for (const key of ["globalMiddlewares", "authChecker", "container"] as const) {
    if (options[key] !== undefined) {
      throw new Error(
        `buildSchema: \`${key}\` is set, but field resolvers are called without TypeGraphQL's wrapper (src/graphql/direct-resolvers.ts), which would skip it`,
      );
    }
  }
}

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
    const direct = (source: unknown, _args: unknown, context: unknown) => call.call(target, source, context);
    Object.defineProperty(direct, CALLS_DIRECTLY, { value: true });
    field.resolve = direct;
    rewired.push(`${type!.name}.${field.name}`);
  }
  return rewired;
}
