import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({
  simpleResolvers: true,
  description: "An alias of a target: a DNS-like name clients may connect with instead of the target id.",
})
export class TargetAlias {
  @Field(() => ID, { description: "The alias's id (`alt_…`)." })
  id!: string;

  @Field(() => String, { nullable: true, description: "The alias itself, e.g. `db.prod.example`." })
  value?: string;

  @Field(() => ID, { nullable: true, description: "The scope the alias lives in (aliases live in the global scope)." })
  scopeId?: string;
}
