import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, JSONObjectScalar } from "../scalars.js";
import { Node } from "./node.type.js";
import { PluginInfo } from "./plugin-info.type.js";
import type { Scope } from "./scope.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary host: one machine of a host catalog that sessions connect to.",
})
export class Host implements Node {
  @Field(() => ID, { description: "The host's id (`hst_…` static, `hplg_…` plugin)." })
  id!: string;

  @Field(() => ID, { nullable: true, description: "The id of the host catalog holding the host." })
  hostCatalogId?: string;

  @Field(() => PluginInfo, { nullable: true, description: "The plugin that discovered the host; null for static hosts." })
  plugin?: PluginInfo;

  @Field(() => String, { nullable: true, description: "The host's name." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The host's description." })
  description?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the host was created." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the host last changed." })
  updatedTime?: string;

  @Field(() => Int, { description: "The host's version, increased by each change." })
  version!: number;

  @Field(() => String, { nullable: true, description: "The host's type: `static` or `plugin`." })
  type?: string;

  @Field(() => [ID], { description: "Ids of the host sets the host belongs to." })
  hostSetIds!: string[];

  @Field(() => String, { nullable: true, description: "The address of a static host (its `attributes.address`)." })
  address?: string;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description:
      'The host type\'s settings as the controller sends them: `{"address": …}` for a static host, provider-specific for a plugin host (snake_case keys).',
  })
  attributes?: Record<string, unknown>;

  @Field(() => [String], { description: "IP addresses a plugin found for the host." })
  ipAddresses!: string[];

  @Field(() => [String], { description: "DNS names a plugin found for the host." })
  dnsNames!: string[];

  @Field(() => String, { nullable: true, description: "The host's id at its provider (plugin hosts)." })
  externalId?: string;

  @Field(() => String, { nullable: true, description: "The host's name at its provider (plugin hosts)." })
  externalName?: string;

  @Field(() => [String], { description: "The actions the caller may take on this host, in no particular order." })
  authorizedActions!: string[];

  /** The embedded scope info (the project of the host's catalog); resolved into `scope` by HostResolver. */
  scopeInfo?: Scope;
}
