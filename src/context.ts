/**
 * The per-request context: the caller's credentials and loaders bound to them. A fresh one is built for
 * every GraphQL request, so nothing read with one token can be served to another.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { CallScope } from "./boundary/call-scope.js";
import type { BoundaryClient } from "./boundary/client.js";
import { createLoaders, type Loaders } from "./loaders/index.js";

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
    const auth = header !== undefined && header.trim() !== "" ? header : fallback;
    const client = callScope ? deps.client.withScope(callScope) : deps.client;
    return {
      auth,
      client,
      loaders: createLoaders(client, auth, { onBatch: deps.onBatch, concurrency: deps.maxUpstreamConcurrency }),
      maxListItems: deps.maxListItems,
      callScope,
    };
  };
}
