import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "The host plugin behind a dynamic (plugin-based) host or host set, e.g. AWS or Azure." })
export class PluginInfo {
  @Field(() => ID, { nullable: true, description: "The plugin's id (`pl_…`)." })
  id?: string;

  @Field(() => String, { nullable: true, description: "The plugin's name, e.g. `aws`." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The plugin's description." })
  description?: string;
}
