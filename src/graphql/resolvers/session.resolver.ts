import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { cancelSession, listSessions } from "../../boundary/sessions.js";
import type { GatewayContext } from "../../context.js";
import { CancelSessionArgs } from "../args/cancel-session.args.js";
import { SessionsArgs } from "../args/sessions.args.js";
import { GatewayErrorCode, gatewayError } from "../errors.js";
import { toConnection, toScope, toSession, toSessionPage } from "../mappers.js";
import { Connection } from "../types/connection.type.js";
import { Scope } from "../types/scope.type.js";
import { SessionPage } from "../types/session-page.type.js";
import { Session } from "../types/session.type.js";

@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, { nullable: true, description: "One session, with its connections. Errors with NOT_FOUND when it does not exist (or was deleted)." })
  async session(@Arg("id", () => ID, { description: "The session's id (`s_…`)." }) id: string, @Ctx() ctx: GatewayContext): Promise<Session> {
    return toSession(await ctx.loaders.session.load(id), true);
  }

  @Query(() => SessionPage, {
    description: "Sessions the caller may see, newest first. Pass `first` for a page and its `listToken` as `after` for the next one.",
  })
  async sessions(@Args(() => SessionsArgs) args: SessionsArgs, @Ctx() ctx: GatewayContext): Promise<SessionPage> {
    const limit = args.first ?? ctx.maxListItems;
    if (!Number.isInteger(limit) || limit < 1 || limit > ctx.maxListItems) {
      throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `first must be between 1 and ${ctx.maxListItems}.`, { field: "first" });
    }
    const listing = await listSessions(
      ctx.client,
      {
        scopeId: args.scopeId ?? "global",
        recursive: args.recursive ?? true,
        filter: args.filter ?? undefined,
        includeTerminated: args.includeTerminated ?? false,
        listToken: args.after ?? undefined,
      },
      limit,
      ctx.auth,
    );
    for (const item of listing.items) ctx.loaders.session.clear(item.id);
    return toSessionPage(listing);
  }

  @Mutation(() => Session, {
    description:
      "Cancel a session: it becomes CANCELING, then TERMINATED once its connections are closed. Cancelling a session that is already canceling or terminated returns it unchanged.",
  })
  async cancelSession(@Args(() => CancelSessionArgs) { id, version }: CancelSessionArgs, @Ctx() ctx: GatewayContext): Promise<Session> {
    const result = await cancelSession(ctx.client, id, version ?? undefined, ctx.auth);
    // The cancel response omits connections, so it cannot stand in for a read: drop any cached read so
    // `connections` (or a later `session(id)` in this request) sees the session as it is now.
    ctx.loaders.session.clear(id);
    return toSession(result, false);
  }

  @FieldResolver(() => Scope, { description: "The project the session belongs to." })
  async scope(@Root() session: Session, @Ctx() ctx: GatewayContext): Promise<Scope> {
    // The scope info embedded in the session answers id/type/name/description/parent without a call.
    return session.scopeInfo ?? toScope(await ctx.loaders.scope.load(session.scopeId));
  }

  @FieldResolver(() => [Connection], {
    description: "The session's connections, newest first. Listed sessions carry none, so selecting this on a list reads each session once.",
  })
  async connections(@Root() session: Session, @Ctx() ctx: GatewayContext): Promise<Connection[]> {
    if (session.connectionList) return session.connectionList;
    const full = await ctx.loaders.session.load(session.id);
    return (full.connections ?? []).map(toConnection);
  }
}
