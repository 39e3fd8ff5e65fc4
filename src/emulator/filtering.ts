/**
 * The bridge to the go-bexpr evaluator in filter.ts: compiles a list's `filter` parameter for one
 * resource type and turns a syntax error into the controller's 400.
 */
import { internal } from "./errors.js";

// TEMPORARY: filter.ts is being written in parallel; it is loaded at start so the emulator runs (with
// filters answering 500) until it lands. Replace with a static import once it exists.
interface FilterEngine {
  FilterSyntaxError: abstract new (...args: never[]) => Error;
  compileFilter(source: string, opts?: { knownFields?: unknown }): (item: unknown) => boolean;
  SESSION_FIELDS: unknown;
  SCOPE_FIELDS: unknown;
}
let engine: FilterEngine | undefined;

export async function loadFilterEngine(): Promise<void> {
  if (engine) return;
  const path = "./filter.js";
  try {
    engine = (await import(path)) as FilterEngine;
  } catch {
    engine = undefined;
  }
}

export type ItemPredicate = (item: unknown) => boolean;

/**
 * Compile `source` for sessions or scopes. A syntax error is a 400 naming `filter`; the message differs
 * between the session service and the others, as in the controller.
 */
export function compileListFilter(source: string, resource: "session" | "scope"): { predicate?: ItemPredicate; error?: string } {
  if (!engine) throw internal("emulator: the filter engine (src/emulator/filter.ts) is not available");
  try {
    const fields = resource === "session" ? engine.SESSION_FIELDS : engine.SCOPE_FIELDS;
    return { predicate: engine.compileFilter(source, { knownFields: fields }) };
  } catch (err) {
    if (err instanceof engine.FilterSyntaxError) {
      return {
        error: `This field could not be parsed. handlers.NewFilter: couldn't build filter: parameter violation: error #100: ${err.message}`,
      };
    }
    throw err;
  }
}
