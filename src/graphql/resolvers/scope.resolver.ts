import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context.js";
import { DateTimeScalar, JSONObjectScalar } from "../scalars.js";
import { ScopeSessionsArgs } from "../args/scope-sessions.args.js";
import { Scope } from "../types/scope.type.js";
import { SessionPage } from "../types/session-page.type.js";
import { sessionPage } from "./session-listing.js";

/** A scope as read in full: itself when it already is, otherwise one (batched, cached) read. */
async function complete(scope: Scope, ctx: GatewayContext): Promise<Scope> {
  return scope.complete ? scope : ctx.loaders.scope.load(scope.id);
}

@Resolver(() => Scope)
export class ScopeResolver {
  @Query(() => Scope, { nullable: true, description: "One scope by id: `global`, `o_…` or `p_…`." })
  async scope(@Arg("id", () => ID, { description: "The scope's id." }) id: string, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return ctx.loaders.scope.load(id);
  }

  @FieldResolver(() => Scope, {
    nullable: true,
    description: "The parent scope (an org's is global, a project's is its org); null for global.",
  })
  async parent(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<Scope | null> {
    if (scope.parentScopeId === undefined) return null;
    return ctx.loaders.scope.load(scope.parentScopeId);
  }

  @FieldResolver(() => SessionPage, {
    description:
      "Sessions in this scope the caller may see: `Query.sessions` with `scopeId` set to this scope. Same arguments, paging and refresh; one listing per distinct scope and arguments per request.",
  })
  sessions(@Root() scope: Scope, @Args(() => ScopeSessionsArgs) args: ScopeSessionsArgs, @Ctx() ctx: GatewayContext): Promise<SessionPage> {
    return sessionPage({ ...args, scopeId: scope.id }, ctx);
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: "When the scope was created." })
  async createdTime(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<string | undefined> {
    return (await complete(scope, ctx)).createdTime;
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: "When the scope last changed." })
  async updatedTime(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<string | undefined> {
    return (await complete(scope, ctx)).updatedTime;
  }

  @FieldResolver(() => Int, { nullable: true, description: "The scope's version, increased by each change." })
  async version(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<number | undefined> {
    return (await complete(scope, ctx)).version;
  }

  @FieldResolver(() => ID, { nullable: true, description: "The auth method users of this scope log in with by default." })
  async primaryAuthMethodId(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<string | undefined> {
    return (await complete(scope, ctx)).primaryAuthMethodId;
  }

  @FieldResolver(() => [String], { nullable: true, description: "The actions the caller may take on this scope, in no particular order." })
  async authorizedActions(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<string[] | undefined> {
    return (await complete(scope, ctx)).authorizedActions;
  }

  @FieldResolver(() => JSONObjectScalar, {
    nullable: true,
    description:
      'What the caller may do on each collection of this scope, as the controller sends it: collection name to actions, e.g. `{"sessions": ["list"], "targets": ["create", "list"]}`.',
  })
  async authorizedCollectionActions(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<Record<string, string[]> | undefined> {
    return (await complete(scope, ctx)).authorizedCollectionActions;
  }

  @FieldResolver(() => ID, {
    nullable: true,
    description: "The storage policy attached to the scope (session recording, Enterprise); null when none.",
  })
  async storagePolicyId(@Root() scope: Scope, @Ctx() ctx: GatewayContext): Promise<string | undefined> {
    return (await complete(scope, ctx)).storagePolicyId;
  }
}
