import { Field, ID, ObjectType } from "type-graphql";
import { Session } from "./session.type.js";

@ObjectType({
  simpleResolvers: true,
  description:
    "One event of `sessionsChanged`: the first is the whole listing (`items`, no `removedIds`); each later one holds only what changed since the previous event.",
})
export class SessionDelta {
  @Field(() => [Session], {
    description:
      "New or changed sessions (a new version), to upsert by id. In the first event, the whole listing, newest first; later, most recently updated first. Listed sessions carry no connections until `connections` is selected.",
  })
  items!: Session[];

  @Field(() => [ID], {
    description:
      "Ids to drop: sessions deleted or gone from the listing, and, unless `includeTerminated` was asked for, sessions that terminated. Empty in the first event.",
  })
  removedIds!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      "The gateway's list token after this event. After a reconnect, `sessions(after: listToken, includeTerminated: true)` with the same scopeId, recursive and filter returns what changed since. Null while the listing is empty.",
  })
  listToken?: string;
}
