import { GraphQLError } from "graphql";
import { Args, Resolver, Root, Subscription, type PubSub } from "type-graphql";
import type { GatewayContext } from "../context.js";
import type { SessionEvent, SessionsEvent } from "../../live/events.js";
import type { LiveRegistry } from "../../live/registry.js";
import { LISTING_DEFAULTS } from "../args/listing.args.js";
import { SessionUpdatedArgs } from "../args/session-updated.args.js";
import { SessionsChangedArgs } from "../args/sessions-changed.args.js";
import { toSession } from "../mappers.js";
import { SessionDelta } from "../types/session-delta.type.js";
import { Session } from "../types/session.type.js";

/** The context of a subscription over WebSocket: the request context plus the process's pollers. */
export interface LiveContext extends GatewayContext {
  readonly live: LiveRegistry;
}

/**
 * TypeGraphQL insists on a PubSub once any `@Subscription` exists, even when every one brings its own
 * `subscribe`. Ours are fed by pollers, never by topics.
 */
export const noPubSub: PubSub = {
  publish() {
    throw new Error("subscriptions here are fed by pollers, not topics");
  },
  subscribe() {
    throw new Error("subscriptions here are fed by pollers, not topics");
  },
};

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => SessionDelta, {
    description:
      "Live changes of a session listing, over WebSocket (graphql-ws) at /graphql: first the listing, then one event per poll that found changes (none when nothing changed). Polls Boundary's list refresh with the caller's token.",
    subscribe: ({ args, context }) => {
      const a = args as SessionsChangedArgs;
      return liveOf(context).sessionsChanged(context.auth, {
        scopeId: a.scopeId ?? LISTING_DEFAULTS.scopeId,
        recursive: a.recursive ?? LISTING_DEFAULTS.recursive,
        filter: a.filter ?? undefined,
        includeTerminated: a.includeTerminated ?? LISTING_DEFAULTS.includeTerminated,
        intervalMs: a.intervalMs ?? undefined,
      });
    },
  })
  sessionsChanged(@Root() event: SessionsEvent | undefined, @Args(() => SessionsChangedArgs) _args: SessionsChangedArgs): SessionDelta {
    const delta = payloadOf(event);
    return { items: delta.items.map((s) => toSession(s, false)), removedIds: delta.removedIds, listToken: delta.listToken };
  }

  @Subscription(() => Session, {
    description:
      "One session, over WebSocket (graphql-ws) at /graphql: as it is now, then each time its version changes. Completes after it is TERMINATED; a session that does not exist (or is deleted) ends it with NOT_FOUND.",
    subscribe: ({ args, context }) => {
      const a = args as SessionUpdatedArgs;
      return liveOf(context).sessionUpdated(context.auth, a.id, a.intervalMs ?? undefined);
    },
  })
  sessionUpdated(@Root() event: SessionEvent | undefined, @Args(() => SessionUpdatedArgs) _args: SessionUpdatedArgs): Session {
    return toSession(payloadOf(event).session, true);
  }
}

function liveOf(context: GatewayContext): LiveContext["live"] {
  const live = (context as Partial<LiveContext>).live;
  if (live === undefined) throw overHttp();
  return live;
}

/** An event's data, or its error thrown into the funnel like any resolver error. */
function payloadOf<E extends { kind: string }>(event: E | { kind: "error"; error: unknown } | undefined): Exclude<E, { kind: "error" }> {
  // Over HTTP, Apollo executes a subscription like a query: there is no event stream behind it.
  if (event === undefined || event === null) throw overHttp();
  if (event.kind === "error") throw (event as { error: unknown }).error;
  return event as Exclude<E, { kind: "error" }>;
}

function overHttp(): GraphQLError {
  return new GraphQLError(
    "Subscriptions are served over WebSocket at /graphql (the graphql-ws protocol, `graphql-transport-ws`), not over HTTP.",
    {
      extensions: { code: "BAD_REQUEST", http: { status: 400 } },
    },
  );
}
