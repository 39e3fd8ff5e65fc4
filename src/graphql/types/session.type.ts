import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../scalars.js";
import type { Connection } from "./connection.type.js";
import { SessionStatus } from "./enums.js";
import { Node } from "./node.type.js";
import type { Scope } from "./scope.type.js";
import { State } from "./state.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary session: one user's authorized access to one target, with its state history and connections.",
})
export class Session implements Node {
  @Field(() => ID, { description: "The session's id (`s_…`)." })
  id!: string;

  @Field(() => ID, { nullable: true, description: "The target the session was authorized for; null once the target is deleted." })
  targetId?: string;

  @Field(() => ID, { description: "The id of the project the session belongs to." })
  scopeId!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the session was created." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the session last changed (each state change updates it)." })
  updatedTime?: string;

  @Field(() => Int, { description: "The session's version, increased by each change; `cancelSession` takes it for optimistic locking." })
  version!: number;

  @Field(() => String, { nullable: true, description: "The target's type, e.g. `tcp`; null when the target is gone." })
  type?: string;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the session expires: its creation plus the target's maximum session length.",
  })
  expirationTime?: string;

  @Field(() => ID, { nullable: true, description: "The auth token the session was authorized with; null once that token is deleted." })
  authTokenId?: string;

  @Field(() => ID, { nullable: true, description: "The user who owns the session; null once the user is deleted." })
  userId?: string;

  @Field(() => ID, { nullable: true, description: "The host set the host was chosen from; null for targets with a direct address." })
  hostSetId?: string;

  @Field(() => ID, { nullable: true, description: "The host the session connects to; null for targets with a direct address." })
  hostId?: string;

  @Field(() => String, { nullable: true, description: "The endpoint the worker connects to, e.g. `tcp://10.0.0.5:22`." })
  endpoint?: string;

  @Field(() => [State], { description: "The session's state history, newest first; the first entry is the current state." })
  states!: State[];

  @Field(() => SessionStatus, { description: "The current status (the status of the first state)." })
  status!: SessionStatus;

  @Field(() => String, { nullable: true, description: "The session's X.509 certificate, DER in standard base64 as Boundary sends it." })
  certificate?: string;

  @Field(() => String, {
    nullable: true,
    description: "Why the session ended (`timed out`, `canceled`, `connection limit`, …); null until it is terminated.",
  })
  terminationReason?: string;

  @Field(() => [String], {
    description:
      "The actions the caller may take on this session (`read`, `read:self`, `cancel`, `cancel:self`, `no-op`), in no particular order.",
  })
  authorizedActions!: string[];

  /** The embedded scope info; resolved into `scope` by SessionResolver. */
  scopeInfo?: Scope;
  /** The session's connections when they came with it (a read); undefined for list items. */
  connectionList?: Connection[];
}
