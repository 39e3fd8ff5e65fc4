import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../../context.js";
import { ScopeSessionsArgs } from "../args/scope-sessions.args.js";
import { Scope } from "../types/scope.type.js";
import { SessionPage } from "../types/session-page.type.js";
import { sessionPage } from "./session-listing.js";

/** The reverse edge from a scope to its sessions; kept apart from ScopeResolver's own fields. */
@Resolver(() => Scope)
export class ScopeSessionsResolver {
  @FieldResolver(() => SessionPage, {
    description:
      "Sessions in this scope the caller may see: `Query.sessions` with `scopeId` set to this scope. Same arguments, paging and refresh; one listing per distinct scope and arguments per request.",
  })
  sessions(@Root() scope: Scope, @Args(() => ScopeSessionsArgs) args: ScopeSessionsArgs, @Ctx() ctx: GatewayContext): Promise<SessionPage> {
    return sessionPage({ ...args, scopeId: scope.id }, ctx);
  }
}
