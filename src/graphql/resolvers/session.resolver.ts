import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { cancelSession } from "../../boundary/sessions.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode, gatewayError } from "../errors.js";
import { CancelSessionArgs } from "../args/cancel-session.args.js";
import { SessionsArgs } from "../args/sessions.args.js";
import { toConnection, toSession } from "../mappers.js";
import { AuthToken } from "../types/auth-token.type.js";
import { Connection } from "../types/connection.type.js";
import { HostSet } from "../types/host-set.type.js";
import { Host } from "../types/host.type.js";
import { Scope } from "../types/scope.type.js";
import { SessionPage } from "../types/session-page.type.js";
import { Session } from "../types/session.type.js";
import { Target } from "../types/target.type.js";
import { User } from "../types/user.type.js";
import { sessionPage } from "./session-listing.js";

@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, {
    nullable: true,
    description: "One session, with its connections. Errors with NOT_FOUND when it does not exist (or was deleted).",
  })
  async session(
    @Arg("id", () => ID, { description: "The session's id (`s_…`)." }) id: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<Session> {
    return toSession(await ctx.loaders.session.load(id), true);
  }

  @Query(() => SessionPage, {
    description: "Sessions the caller may see, newest first. Pass `first` for a page and its `listToken` as `after` for the next one.",
  })
  async sessions(@Args(() => SessionsArgs) args: SessionsArgs, @Ctx() ctx: GatewayContext): Promise<SessionPage> {
    // Only the root field is run page by page; `Scope.sessions` and `User.sessions` never are.
    return sessionPage(args, ctx, ctx.pagedListing);
  }

  @Mutation(() => Session, {
    description:
      "Cancel a session: it becomes CANCELING, then TERMINATED once its connections are closed. Cancelling a session that is already canceling or terminated returns it unchanged.",
  })
  async cancelSession(@Args(() => CancelSessionArgs) { id, version }: CancelSessionArgs, @Ctx() ctx: GatewayContext): Promise<Session> {
    // The gateway's own token reads for callers without one; it never acts for them: a page that
    // reached the gateway (a rebinding, a forgotten demo) must not cancel sessions with it.
    if (ctx.usesFallback) {
      throw gatewayError(
        GatewayErrorCode.UNAUTHENTICATED,
        "Mutations need your own token: send `Authorization: Bearer <token>` (the gateway's BOUNDARY_TOKEN is only used for reads).",
      );
    }
    const result = await cancelSession(ctx.client, id, version ?? undefined, ctx.auth);
    // The cancel response omits connections, so it cannot stand in for a read: drop any cached read so
    // `connections` (or a later `session(id)` in this request) sees the session as it is now.
    ctx.loaders.session.clear(id);
    return toSession(result, false);
  }

  @FieldResolver(() => Scope, { description: "The project the session belongs to." })
  scope(@Root() session: Session, @Ctx() ctx: GatewayContext): Scope | Promise<Scope> {
    // The scope info embedded in the session answers id/type/name/description/parent without a call,
    // and synchronously: a promise per listed session would put every item on graphql-js's slow path.
    return session.scopeInfo ?? ctx.loaders.scope.load(session.scopeId);
  }

  @FieldResolver(() => [Connection], {
    description:
      "The session's connections, newest first. Listed sessions carry none, so selecting this on a list reads each session once.",
  })
  connections(@Root() session: Session, @Ctx() ctx: GatewayContext): Connection[] | Promise<Connection[]> {
    if (session.connectionList) return session.connectionList;
    return ctx.loaders.session.load(session.id).then((full) => (full.connections ?? []).map(toConnection));
  }

  // The related resources below are read lazily, each through its own loader: one read per distinct id
  // per request, concurrently under the request's cap. An absent id (the resource was deleted, or the
  // target has a direct address) is null with no call; a failed read (403 is common: ordinary users
  // may not read hosts or other users) nulls only that field, with its error at its path.

  @FieldResolver(() => Target, {
    nullable: true,
    description: "The target the session was authorized for. Null when the target is gone, or, with its error, when it cannot be read.",
  })
  target(@Root() session: Session, @Ctx() ctx: GatewayContext): Target | null | Promise<Target> {
    return session.targetId ? ctx.loaders.target.load(session.targetId) : null;
  }

  @FieldResolver(() => User, {
    nullable: true,
    description:
      "The user who owns the session. Null when the user is gone, or, with its error (often FORBIDDEN), when the caller may not read users.",
  })
  user(@Root() session: Session, @Ctx() ctx: GatewayContext): User | null | Promise<User> {
    return session.userId ? ctx.loaders.user.load(session.userId) : null;
  }

  @FieldResolver(() => Host, {
    nullable: true,
    description:
      "The host the session connects to. Null for direct-address targets, or, with its error (often FORBIDDEN), when it cannot be read.",
  })
  host(@Root() session: Session, @Ctx() ctx: GatewayContext): Host | null | Promise<Host> {
    return session.hostId ? ctx.loaders.host.load(session.hostId) : null;
  }

  @FieldResolver(() => HostSet, {
    nullable: true,
    description: "The host set the host was picked from. Null for direct-address targets, or, with its error, when it cannot be read.",
  })
  hostSet(@Root() session: Session, @Ctx() ctx: GatewayContext): HostSet | null | Promise<HostSet> {
    return session.hostSetId ? ctx.loaders.hostSet.load(session.hostSetId) : null;
  }

  @FieldResolver(() => AuthToken, {
    nullable: true,
    description:
      "The auth token the session was authorized with (its metadata, never the secret). Null once the token is deleted, or, with its error, when it cannot be read.",
  })
  authToken(@Root() session: Session, @Ctx() ctx: GatewayContext): AuthToken | null | Promise<AuthToken> {
    return session.authTokenId ? ctx.loaders.authToken.load(session.authTokenId) : null;
  }
}
