import { ArgsType, Field, ID, Int } from "type-graphql";

@ArgsType()
export class SessionsChangedArgs {
  @Field(() => ID, {
    nullable: true,
    defaultValue: "global",
    description: "The scope to watch: `global`, an org (`o_…`) or a project (`p_…`). Without `recursive`, it must be a project.",
  })
  scopeId?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "Watch the sessions of every project under `scopeId` the caller may list." })
  recursive?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"`. A session that stops matching (or terminates, without `includeTerminated`) is reported in `removedIds`.',
  })
  filter?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Also list terminated sessions. Without it, a session that terminates is reported in `removedIds`.",
  })
  includeTerminated?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "How often to ask the controller for changes, in milliseconds. Omitted: the gateway's default (SUBSCRIPTION_DEFAULT_INTERVAL_MS, 2000); shorter than SUBSCRIPTION_MIN_INTERVAL_MS (500) is raised to it. Subscribers with the same token and arguments share one poller.",
  })
  intervalMs?: number | null;
}
