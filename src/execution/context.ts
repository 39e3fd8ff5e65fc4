/**
 * The one place a request's context and loaders are built, for every transport: a fresh context per
 * operation (HTTP) or per subscription event (WebSocket), so nothing read with one token is served to
 * another, and loaders that batch the reads of one operation only.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { CallScope } from "../boundary/call-scope.js";
import type { BoundaryClient } from "../boundary/client.js";
import type { GatewayContext } from "../graphql/context.js";
import { createLoaders, type Loaders } from "../graphql/loaders/index.js";

export interface ContextDeps {
  client: BoundaryClient;
  /** Used only for requests that carry no Authorization header. */
  fallbackToken: string | undefined;
  maxListItems: number;
  /** Told the size of every loader batch (metrics). */
  onBatch?: (loader: string, size: number) => void;
  /** Most upstream reads one request keeps in flight, all loaders together. Default 16. */
  maxUpstreamConcurrency?: number;
}

export interface ContextBuilder {
  /**
   * The context of one operation. `headers` are the request's (only `authorization`, `origin` and `host`
   * are read); `lend` says whether the gateway's own token may stand in for a missing one (default: as
   * `lendsFallback` decides from the headers).
   */
  build(headers: IncomingHttpHeaders, callScope?: CallScope, lend?: boolean): GatewayContext;
  /**
   * A context with the credentials of `base` and a call scope of its own: each subscription event's
   * (src/execution/subscribe.ts). `share` may hand back loaders already made for the same event.
   */
  again(
    base: Pick<GatewayContext, "auth" | "usesFallback">,
    callScope: CallScope,
    share?: (make: () => Loaders) => Loaders,
  ): GatewayContext;
}

export function createContextBuilder(deps: ContextDeps): ContextBuilder {
  const fallback = deps.fallbackToken === undefined ? undefined : `Bearer ${deps.fallbackToken}`;
  const loaders = (client: BoundaryClient, auth: string | undefined) =>
    createLoaders(client, auth, { onBatch: deps.onBatch, concurrency: deps.maxUpstreamConcurrency });
  return {
    again(base, callScope, share) {
      const client = deps.client.withScope(callScope);
      const make = () => loaders(client, base.auth);
      return {
        auth: base.auth,
        client,
        loaders: share ? share(make) : make(),
        maxListItems: deps.maxListItems,
        callScope,
        usesFallback: base.usesFallback,
      };
    },
    build(headers, callScope, lend) {
      // Forwarded verbatim: the controller parses the scheme and falls back to anonymous by itself.
      const header = headers.authorization;
      const own = header !== undefined && header.trim() !== "" ? header : undefined;
      const usesFallback = own === undefined && fallback !== undefined && (lend ?? lendsFallback(headers));
      const auth = own ?? (usesFallback ? fallback : undefined);
      const client = callScope ? deps.client.withScope(callScope) : deps.client;
      return { auth, client, loaders: loaders(client, auth), maxListItems: deps.maxListItems, callScope, usesFallback };
    },
  };
}

/**
 * Whether a request may fall back on the gateway's own token: it carries no `Origin` (not a browser, or
 * a same-origin GET) or the gateway's own origin. A page on another origin must bring its own token:
 * CORS keeps it from reading answers, but not from sending a request that acts (a cancel) or, over
 * WebSocket, from reading them. The `Host` it is compared with is one that passed ALLOWED_HOSTS, so a
 * DNS-rebinding page (whose Origin and Host both name the attacker) is stopped there.
 */
export function lendsFallback(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}
