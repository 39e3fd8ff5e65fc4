import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../scalars.js";
import { Node } from "./node.type.js";
import type { Scope } from "./scope.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary auth token's metadata (never the token itself): who it belongs to and when it expires.",
})
export class AuthToken implements Node {
  @Field(() => ID, { description: "The auth token's id (`at_…`), the first part of the token." })
  id!: string;

  @Field(() => ID, { description: "The scope of the auth method the token came from: `global` or an org." })
  scopeId!: string;

  @Field(() => ID, { nullable: true, description: "The id of the user the token belongs to." })
  userId?: string;

  @Field(() => ID, { nullable: true, description: "The id of the auth method the user authenticated with." })
  authMethodId?: string;

  @Field(() => ID, { nullable: true, description: "The id of the account the user authenticated with." })
  accountId?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the token was issued." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the token last changed." })
  updatedTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "About when the token was last used (Boundary updates it lazily)." })
  approximateLastUsedTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the token expires." })
  expirationTime?: string;

  @Field(() => [String], { description: "The actions the caller may take on this token, in no particular order." })
  authorizedActions!: string[];

  /** The embedded scope info; resolved into `scope` by AuthTokenResolver. */
  scopeInfo?: Scope;
}
