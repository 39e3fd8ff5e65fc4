/**
 * The bridge to the go-bexpr evaluator in src/bexpr: compiles a list's `filter` parameter for one
 * resource type and maps its failures to the controller's answers.
 */
import { internal } from "./errors.js";
import { FilterPanicError, FilterSyntaxError, SCOPE_FIELDS, SESSION_FIELDS, compileFilter } from "../bexpr/index.js";

export type ItemPredicate = (item: unknown) => boolean;

/** Compile `source` for sessions or scopes; a syntax error comes back as the `filter` field's description. */
export function compileListFilter(source: string, resource: "session" | "scope"): { predicate?: ItemPredicate; error?: string } {
  try {
    return { predicate: compileFilter(source, { knownFields: resource === "session" ? SESSION_FIELDS : SCOPE_FIELDS }) };
  } catch (err) {
    if (err instanceof FilterSyntaxError) {
      return {
        error: `This field could not be parsed. handlers.NewFilter: couldn't build filter: parameter violation: error #100: ${err.message}`,
      };
    }
    throw err;
  }
}

/** Evaluate one item. A go-bexpr panic fails the whole request with 500, as the controller's recovery does. */
export function matches(predicate: ItemPredicate, item: unknown): boolean {
  try {
    return predicate(item);
  } catch (err) {
    if (err instanceof FilterPanicError) throw internal(err.message);
    throw err;
  }
}
