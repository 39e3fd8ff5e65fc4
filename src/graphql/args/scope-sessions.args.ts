import { ArgsType, Field, Int } from "type-graphql";

/** `Query.sessions`' arguments but `scopeId`, which is the scope's own id. */
@ArgsType()
export class ScopeSessionsArgs {
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description: "Include the sessions of every project under this scope the caller may list. Without it, the scope must be a project.",
  })
  recursive?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"`. Field names are Boundary\'s snake_case names.',
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
    description: "A `listToken` from an earlier page of this field: continues that listing, or, from a COMPLETE page, returns only what changed since. Send the same other arguments again.",
  })
  after?: string | null;
}
