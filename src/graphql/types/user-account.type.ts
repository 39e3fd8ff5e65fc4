import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "An account linked to a user: one login of theirs at one auth method." })
export class UserAccount {
  @Field(() => ID, { description: "The account's id (`acctpw_…`, `acctoidc_…`, `acctldap_…`)." })
  id!: string;

  @Field(() => ID, { nullable: true, description: "The scope of the account's auth method: `global` or an org." })
  scopeId?: string;
}
