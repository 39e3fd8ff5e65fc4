import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, JSONObjectScalar } from "../scalars.js";
import { Node } from "./node.type.js";
import { PluginInfo } from "./plugin-info.type.js";
import type { Scope } from "./scope.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary host set: a group of hosts of one catalog that a target picks from.",
})
export class HostSet implements Node {
  @Field(() => ID, { description: "The host set's id (`hsst_…` static, `hsplg_…` plugin)." })
  id!: string;

  @Field(() => ID, { nullable: true, description: "The id of the host catalog holding the host set." })
  hostCatalogId?: string;

  @Field(() => PluginInfo, { nullable: true, description: "The plugin that syncs the host set; null for static host sets." })
  plugin?: PluginInfo;

  @Field(() => String, { nullable: true, description: "The host set's name." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The host set's description." })
  description?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the host set was created." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the host set last changed." })
  updatedTime?: string;

  @Field(() => Int, { description: "The host set's version, increased by each change." })
  version!: number;

  @Field(() => String, { nullable: true, description: "The host set's type: `static` or `plugin`." })
  type?: string;

  @Field(() => [ID], { description: "Ids of the hosts in the set." })
  hostIds!: string[];

  @Field(() => [String], { description: "Which of a host's addresses to prefer, in order (plugin host sets), e.g. `cidr:10.0.0.0/8`." })
  preferredEndpoints!: string[];

  @Field(() => Int, { nullable: true, description: "Seconds between syncs of a plugin host set (0: the default, -1: never)." })
  syncIntervalSeconds?: number;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description:
      "The host set type's settings as the controller sends them: provider-specific filters for a plugin host set, none for a static one (snake_case keys).",
  })
  attributes?: Record<string, unknown>;

  @Field(() => [String], { description: "The actions the caller may take on this host set, in no particular order." })
  authorizedActions!: string[];

  /** The embedded scope info (the project of the catalog); resolved into `scope` by HostSetResolver. */
  scopeInfo?: Scope;
}
