import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../scalars.js";
import { Node } from "./node.type.js";
import { UserAccount } from "./user-account.type.js";
import type { Scope } from "./scope.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary user: a principal that owns accounts, auth tokens and sessions.",
})
export class User implements Node {
  @Field(() => ID, { description: "The user's id (`u_…`; `u_anon`, `u_auth` and `u_recovery` are Boundary's built-in users)." })
  id!: string;

  @Field(() => ID, { description: "The scope the user lives in: `global` or an org (`o_…`)." })
  scopeId!: string;

  @Field(() => String, { nullable: true, description: "The user's name." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The user's description." })
  description?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the user was created." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the user last changed." })
  updatedTime?: string;

  @Field(() => Int, { description: "The user's version, increased by each change." })
  version!: number;

  @Field(() => [ID], { description: "Ids of the user's accounts (`acctpw_…`, `acctoidc_…`, `acctldap_…`)." })
  accountIds!: string[];

  @Field(() => [UserAccount], { description: "The user's accounts, with the scope of each one's auth method." })
  accounts!: UserAccount[];

  @Field(() => String, { nullable: true, description: "The login name of the user's primary account." })
  loginName?: string;

  @Field(() => String, { nullable: true, description: "The full name from the user's primary account." })
  fullName?: string;

  @Field(() => String, { nullable: true, description: "The email address from the user's primary account." })
  email?: string;

  @Field(() => ID, { nullable: true, description: "The id of the account the user's login name, full name and email come from." })
  primaryAccountId?: string;

  @Field(() => [String], { description: "The actions the caller may take on this user, in no particular order." })
  authorizedActions!: string[];

  /** The embedded scope info; resolved into `scope` by UserResolver. */
  scopeInfo?: Scope;
}
