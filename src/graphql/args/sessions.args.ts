import { ArgsType, Field, ID, Int } from "type-graphql";

@ArgsType()
export class SessionsArgs {
  @Field(() => ID, {
    nullable: true,
    defaultValue: "global",
    description: "The scope to list: `global`, an org (`o_…`) or a project (`p_…`). Without `recursive`, it must be a project.",
  })
  scopeId?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "Include the sessions of every project under `scopeId` the caller may list." })
  recursive?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"` or `"/item/user_id" == "u_1234567890"`. Field names are Boundary\'s snake_case names.',
  })
  filter?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Also list terminated sessions (hidden by default, as Boundary does)." })
  includeTerminated?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: "How many sessions to return at most. Omitted: the whole listing, up to the gateway's MAX_LIST_ITEMS (then `hasNextPage` is true).",
  })
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: "A `listToken` from an earlier page: continues that listing, or, from a COMPLETE page, returns only what changed since (a refresh). Send the same scopeId, recursive, filter and includeTerminated again.",
  })
  after?: string | null;
}
