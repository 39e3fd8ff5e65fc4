/**
 * graphql-jit's list quirk, handled once for the whole schema: when an item of a list is a promise that
 * rejects, jit appends that item's null instead of placing it at its index, so a failure that settles
 * before an earlier item moves or drops entries (graphql-js places it right). Every list field with a
 * resolver therefore answers with its items settled: a value, or the Error of the item that failed,
 * each at its own index; both executors then null a failed item at its index with its error.
 */
import { getNullableType, isListType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";

/** Set on a list field's resolver once it settles its items (tests walk the schema for it). */
export const SETTLES_ITEMS: unique symbol = Symbol("settles list items");

/** Wraps the resolver of every list field of `schema` that has one; idempotent. Returns the fields. */
export function settleListFields(schema: GraphQLSchema): string[] {
  const wrapped: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || !isListType(getNullableType(field.type))) continue;
      if ((resolve as { [SETTLES_ITEMS]?: true })[SETTLES_ITEMS]) {
        wrapped.push(`${type.name}.${field.name}`);
        continue;
      }
      const settling: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        return isPromise(value) ? value.then(settleItems) : settleItems(value);
      };
      Object.defineProperty(settling, SETTLES_ITEMS, { value: true });
      field.resolve = settling;
      wrapped.push(`${type.name}.${field.name}`);
    }
  }
  return wrapped;
}

/** The items settled when any is a promise; the value as it is otherwise (no allocation then). */
function settleItems(value: unknown): unknown {
  if (!Array.isArray(value) || !value.some(isPromise)) return value;
  return Promise.all(
    value.map((item) => Promise.resolve(item).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))),
  );
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
