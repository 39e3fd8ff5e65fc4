import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A host set a target picks its hosts from, with the catalog it belongs to." })
export class HostSource {
  @Field(() => ID, { description: "The host set's id (`hsst_…`, `hsplg_…`)." })
  id!: string;

  @Field(() => ID, { nullable: true, description: "The id of the host catalog holding the host set." })
  hostCatalogId?: string;
}
