import { Ctx, FieldResolver, Resolver, Root, type ClassType } from "type-graphql";
import { BoundaryProtocolError } from "../../boundary/errors.js";
import { RESOURCES, type ResourceKind } from "../../boundary/resources.js";
import type { GatewayContext } from "../context.js";
import { Scope } from "../types/scope.type.js";

/**
 * The scope a resource lives in. The scope info embedded in every read answers id, type, name,
 * description and parent with no call; ScopeResolver loads the rest (one read per distinct scope per
 * request) only when selected. Without embedded info, the scope is loaded by id.
 */
export async function owningScope(owner: ScopeOwner, endpoint: string, ctx: GatewayContext): Promise<Scope> {
  if (owner.scopeInfo) return owner.scopeInfo;
  if (owner.scopeId) return ctx.loaders.scope.load(owner.scopeId);
  throw new BoundaryProtocolError(endpoint, "the resource names no scope");
}

/** What `owningScope` reads an owner's scope from. */
interface ScopeOwner {
  scopeInfo?: Scope;
  scopeId?: string;
}

/**
 * The resolver of a kind whose only field resolver is its owning `scope` (target, host, host set,
 * auth token), so that field is written once. The class returned is the one to list in the schema's resolvers:
 * direct-resolvers.ts recognises field resolvers by the class that declares them, so `scope` is
 * declared on it (not inherited from a shared base) and stays a `@FieldResolver` taking only
 * `@Root()` and `@Ctx()`.
 */
export function owningScopeResolver<T extends ScopeOwner>(type: ClassType<T>, kind: ResourceKind, description: string) {
  // Named in the error when the controller's answer has no scope at all.
  const endpoint = RESOURCES[kind].endpoint;

  @Resolver(() => type)
  class OwningScopeResolver {
    @FieldResolver(() => Scope, { description })
    scope(@Root() owner: T, @Ctx() ctx: GatewayContext): Promise<Scope> {
      return owningScope(owner, endpoint, ctx);
    }
  }
  return OwningScopeResolver;
}
