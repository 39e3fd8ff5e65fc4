import { Field, ID, Int, ObjectType } from "type-graphql";
import { ListResponseType } from "./enums.js";
import { Session } from "./session.type.js";

@ObjectType({
  simpleResolvers: true,
  description: "A page of sessions, with what is needed to get the next page or, later, only what changed.",
})
export class SessionPage {
  @Field(() => [Session], {
    description: "The sessions of this page: newest first for a listing, most recently updated first for a refresh.",
  })
  items!: Session[];

  @Field(() => String, {
    nullable: true,
    description:
      "Pass as `after` to continue: the next page while `hasNextPage`, otherwise a refresh of what changed since. Null when a first listing found nothing.",
  })
  listToken?: string;

  @Field(() => ListResponseType, { description: "COMPLETE at the end of the listing (or refresh round), DELTA when more pages follow." })
  responseType!: ListResponseType;

  @Field(() => Boolean, { description: "Whether more items follow (`responseType` is DELTA)." })
  hasNextPage!: boolean;

  @Field(() => [ID], {
    description: "On a refresh: ids of sessions deleted since the token was issued (may include ids never seen). Empty otherwise.",
  })
  removedIds!: string[];

  @Field(() => Int, {
    nullable: true,
    description:
      "How many sessions the listing holds: exact when one call returned the whole listing, otherwise the controller's estimate for the whole session table. Null when unknown (an empty listing, or a table the controller's database has not analysed yet).",
  })
  estItemCount?: number;

  @Field(() => String, { nullable: true, description: "The order of items: `created_time` for a listing, `updated_time` for a refresh." })
  sortBy?: string;

  @Field(() => String, { nullable: true, description: "The direction of the order: always `desc`." })
  sortDir?: string;
}
