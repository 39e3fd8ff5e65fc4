/**
 * A list field whose items are read one by one (`nodes`, `_entities`) answers with its items settled:
 * a value, or the Error of the item that failed, each at its own index. Both executors then null a
 * failed item at its index with its error and keep the rest. A list of still-pending promises would do
 * for graphql-js, but graphql-jit (the fast lane) appends the null of an item that rejects instead of
 * placing it at its index, so a failure that settles before an earlier item moves or drops entries.
 */
export function settleItems<T>(items: readonly (T | Promise<T>)[]): Promise<(T | Error)[]> {
  return Promise.all(items.map((item) => Promise.resolve(item).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
}
