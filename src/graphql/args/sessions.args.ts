import { listingArgsType } from "./listing.args.js";

/** `Query.sessions` and `User.sessions`. */
export const SessionsArgs = listingArgsType({
  scopeId: "The scope to list: `global`, an org (`o_…`) or a project (`p_…`). Without `recursive`, it must be a project.",
  recursive: "Include the sessions of every project under `scopeId` the caller may list.",
  filter:
    'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"` or `"/item/user_id" == "u_1234567890"`. Field names are Boundary\'s snake_case names.',
  includeTerminated: "Also list terminated sessions (hidden by default, as Boundary does).",
  first:
    "How many sessions to return at most. Omitted: the whole listing, up to the gateway's MAX_LIST_ITEMS (then `hasNextPage` is true).",
  after:
    "A `listToken` from an earlier page: continues that listing, or, from a COMPLETE page, returns only what changed since (a refresh). Send the same scopeId, recursive, filter and includeTerminated again.",
});
export type SessionsArgs = InstanceType<typeof SessionsArgs>;
