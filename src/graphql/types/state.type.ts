import { Field, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../scalars.js";
import { SessionStatus } from "./enums.js";

@ObjectType({
  simpleResolvers: true,
  description: "One period of a session's life in one status. A session's states are listed newest first.",
})
export class State {
  @Field(() => SessionStatus, { description: "The status held during this period." })
  status!: SessionStatus;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the session entered this status." })
  startTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the session left this status; null for the current state." })
  endTime?: string;
}
