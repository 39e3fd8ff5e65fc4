/**
 * The per-request context: the caller's credentials and loaders bound to them. A fresh one is built for
 * every GraphQL request, so nothing read with one token can be served to another.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { CallScope } from "./boundary/call-scope.js";
import type { BoundaryClient } from "./boundary/client.js";
import { createLoaders, type Loaders } from "./graphql/loaders/index.js";

export interface GatewayContext {
  /** The Authorization value sent upstream on every call of this request (never logged). */
  readonly auth: string | undefined;
  /** The controller client, bound to this request's call scope. */
  readonly client: BoundaryClient;
  readonly loaders: Loaders;
  /** The deadline and call tally of this request's upstream calls. */
  readonly callScope?: CallScope;
  /** Most items one `sessions` field gathers when `first` is omitted. */
  readonly maxListItems: number;
  /** `auth` is the gateway's own token (BOUNDARY_TOKEN, the demo admin), not the caller's: mutations
   * refuse it (see cancelSession). */
  readonly usesFallback?: boolean;
}

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

export function createContextFactory(deps: ContextDeps): (headers: IncomingHttpHeaders, callScope?: CallScope) => GatewayContext {
  const fallback = deps.fallbackToken === undefined ? undefined : `Bearer ${deps.fallbackToken}`;
  return (headers, callScope) => {
    // Forwarded verbatim: the controller parses the scheme and falls back to anonymous by itself.
    const header = headers.authorization;
    const own = header !== undefined && header.trim() !== "" ? header : undefined;
    const usesFallback = own === undefined && fallback !== undefined && lendsFallback(headers);
    const auth = own ?? (usesFallback ? fallback : undefined);
    const client = callScope ? deps.client.withScope(callScope) : deps.client;
    return {
      auth,
      client,
      loaders: createLoaders(client, auth, { onBatch: deps.onBatch, concurrency: deps.maxUpstreamConcurrency }),
      maxListItems: deps.maxListItems,
      callScope,
      usesFallback,
    };
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
