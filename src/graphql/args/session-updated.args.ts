import { ArgsType, Field, ID, Int } from "type-graphql";

@ArgsType()
export class SessionUpdatedArgs {
  @Field(() => ID, { description: "The session's id (`s_…`)." })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "How often to read the session, in milliseconds. Omitted: the gateway's default (SUBSCRIPTION_DEFAULT_INTERVAL_MS, 2000); shorter than SUBSCRIPTION_MIN_INTERVAL_MS (500) is raised to it.",
  })
  intervalMs?: number | null;
}
