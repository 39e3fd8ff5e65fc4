import { listingArgsType } from "./listing.args.js";

/** `Query.sessions`' arguments but `scopeId`, which is the scope's own id. */
export const ScopeSessionsArgs = listingArgsType({
  recursive: "Include the sessions of every project under this scope the caller may list. Without it, the scope must be a project.",
  filter:
    'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"`. Field names are Boundary\'s snake_case names.',
  includeTerminated: "Also list terminated sessions (hidden by default, as Boundary does).",
  first:
    "How many sessions to return at most. Omitted: the whole listing, up to the gateway's MAX_LIST_ITEMS (then `hasNextPage` is true).",
  after:
    "A `listToken` from an earlier page of this field: continues that listing, or, from a COMPLETE page, returns only what changed since. Send the same other arguments again.",
});
export type ScopeSessionsArgs = InstanceType<typeof ScopeSessionsArgs>;
