import { Field, ID, ObjectType } from "type-graphql";
import { ScopeType } from "./enums.js";
import { Node } from "./node.type.js";

/**
 * A scope. Made either from the scope info embedded in another resource (id, type, name, description,
 * parent) or from a full read of the scope; `complete` tells which. The full-read fields are resolved
 * by ScopeResolver, which loads the scope only when one of them is selected on an incomplete scope.
 */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: "A Boundary scope: the global scope, an org, or a project. Sessions live in projects.",
})
export class Scope implements Node {
  @Field(() => ID, { description: "The scope's id: `global`, `o_…` (org) or `p_…` (project)." })
  id!: string;

  @Field(() => ScopeType, { description: "The scope's level." })
  type!: ScopeType;

  @Field(() => String, { nullable: true, description: "The scope's name." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The scope's description." })
  description?: string;

  @Field(() => ID, { nullable: true, description: "The id of the parent scope; null for the global scope." })
  parentScopeId?: string;

  @Field(() => ID, {
    nullable: true,
    description:
      "The id of the scope this scope is in, under the controller's name for it (`scope_id`): the same as `parentScopeId`; null for the global scope.",
  })
  scopeId?: string;

  /** Whether the fields below came from a full read of the scope. */
  complete!: boolean;
  createdTime?: string;
  updatedTime?: string;
  version?: number;
  primaryAuthMethodId?: string;
  authorizedActions?: string[];
  authorizedCollectionActions?: Record<string, string[]>;
  storagePolicyId?: string;
}
