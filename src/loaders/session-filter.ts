/**
 * The caller's list filter, compiled here so a refresh can be filtered by the gateway (see
 * `ListSessionsOptions.matches`) with the controller's own semantics: the go-bexpr port in src/bexpr,
 * over the session's JSON as the controller filters it (internal/daemon/controller/handlers/filter.go).
 */
import { FilterPanicError, FilterSyntaxError, SESSION_FIELDS, compileFilter } from "../bexpr/index.js";
import { BoundaryInputError } from "../boundary/errors.js";
import type { WireSession } from "../boundary/wire.js";

/**
 * A predicate for `source`. Throws BoundaryInputError (field `filter`) when it does not parse, before
 * any call; the predicate throws one when evaluating it makes go-bexpr panic (the controller's 500).
 */
export function compileSessionFilter(source: string): (item: WireSession) => boolean {
  let run: (item: unknown) => boolean;
  try {
    run = compileFilter(source, { knownFields: SESSION_FIELDS });
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new BoundaryInputError("filter", `filter is not a valid filter expression: ${err.message}`);
    throw err;
  }
  return (item) => {
    try {
      return run(item);
    } catch (err) {
      if (err instanceof FilterPanicError)
        throw new BoundaryInputError("filter", `The filter cannot be evaluated on a session: ${err.message}`);
      throw err;
    }
  };
}
