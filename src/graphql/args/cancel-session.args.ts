import { ArgsType, Field, ID, Int } from "type-graphql";

@ArgsType()
export class CancelSessionArgs {
  @Field(() => ID, { description: "The session's id (`s_…`)." })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "The version you last saw; a stale one fails with CONFLICT (and `extensions.currentVersion`). Omitted: the current version is read first.",
  })
  version?: number | null;
}
