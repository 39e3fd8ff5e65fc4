import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, JSONObjectScalar } from "../scalars.js";
import { CredentialSource } from "./credential-source.type.js";
import { HostSource } from "./host-source.type.js";
import { Node } from "./node.type.js";
import type { Scope } from "./scope.type.js";
import { TargetAlias } from "./target-alias.type.js";

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary target: something users connect to (a host set's hosts or a direct address) through a session.",
})
export class Target implements Node {
  @Field(() => ID, { description: "The target's id (`ttcp_…`; `tssh_…`/`trdp_…` on Enterprise)." })
  id!: string;

  @Field(() => ID, { description: "The id of the project the target belongs to." })
  scopeId!: string;

  @Field(() => String, { nullable: true, description: "The target's name, unique in its project." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The target's description." })
  description?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the target was created." })
  createdTime?: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the target last changed." })
  updatedTime?: string;

  @Field(() => Int, { description: "The target's version, increased by each change." })
  version!: number;

  @Field(() => String, { nullable: true, description: "The target's type: `tcp` (`ssh`, `rdp` on Enterprise)." })
  type?: string;

  @Field(() => [ID], { description: "Ids of the host sets the target picks hosts from; empty for a direct-address target." })
  hostSourceIds!: string[];

  @Field(() => [HostSource], { description: "The host sets the target picks hosts from, with their catalogs." })
  hostSources!: HostSource[];

  @Field(() => Int, { nullable: true, description: "Longest a session to this target may last, in seconds (Boundary's default is 28800)." })
  sessionMaxSeconds?: number;

  @Field(() => Int, { nullable: true, description: "Most connections one session may make; -1 means unlimited." })
  sessionConnectionLimit?: number;

  @Field(() => String, { nullable: true, description: "Filter choosing the workers that connect to the endpoint." })
  egressWorkerFilter?: string;

  @Field(() => String, { nullable: true, description: "Filter choosing the workers clients connect to." })
  ingressWorkerFilter?: string;

  @Field(() => String, {
    nullable: true,
    description: "The older single worker filter.",
    deprecationReason: "Boundary replaced it with egressWorkerFilter.",
  })
  workerFilter?: string;

  @Field(() => [ID], { description: "Ids of the credential sources whose credentials are brokered to the user." })
  brokeredCredentialSourceIds!: string[];

  @Field(() => [ID], { description: "Ids of the credential sources whose credentials are injected into the connection." })
  injectedApplicationCredentialSourceIds!: string[];

  @Field(() => [CredentialSource], {
    description: "The credential sources whose credentials are brokered to the user, with their names and types.",
  })
  brokeredCredentialSources!: CredentialSource[];

  @Field(() => [CredentialSource], {
    description: "The credential sources whose credentials are injected into the connection, with their names and types.",
  })
  injectedApplicationCredentialSources!: CredentialSource[];

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description:
      'The target type\'s settings as the controller sends them, e.g. `{"default_port": 22}` for TCP (snake_case keys; `defaultPort` and `defaultClientPort` read the TCP ones).',
  })
  attributes?: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: "The port the worker connects to on the endpoint (TCP targets)." })
  defaultPort?: number;

  @Field(() => Int, { nullable: true, description: "The local port `boundary connect` listens on by default (TCP targets)." })
  defaultClientPort?: number;

  @Field(() => String, { nullable: true, description: "The direct address of the endpoint; null when hosts come from host sets." })
  address?: string;

  @Field(() => [TargetAlias], { description: "Aliases that name this target." })
  aliases!: TargetAlias[];

  @Field(() => [String], { description: "The actions the caller may take on this target, in no particular order." })
  authorizedActions!: string[];

  /** The embedded scope info; resolved into `scope` by TargetResolver. */
  scopeInfo?: Scope;
}
