/**
 * Per-request DataLoaders, bound to the caller's Authorization value. Built in the context factory for
 * each GraphQL request and dropped with it: a loader's cache is keyed by id only, so sharing one across
 * requests would serve one caller's data to another.
 *
 * They live with the GraphQL layer because they hold schema objects: each resource is mapped once per
 * distinct id and request, not once per field that selects it (a page of 100 sessions on 11 targets
 * maps 11 targets). The reads come from the resource registry, the cap from src/loaders/.
 */
import DataLoader from "dataloader";
import type { BoundaryClient, ListSessionsParams } from "../../boundary/client.js";
import { RESOURCES } from "../../boundary/resources.js";
import { listSessions, type SessionListing } from "../../boundary/sessions.js";
import type { WireSession } from "../../boundary/wire.js";
import { createLimiter, readEach } from "../../loaders/concurrency.js";
import { listed, toAuthToken, toHost, toHostSet, toScope, toTarget, toUser } from "../mappers.js";
import type { AuthToken } from "../types/auth-token.type.js";
import type { HostSet } from "../types/host-set.type.js";
import type { Host } from "../types/host.type.js";
import type { Scope } from "../types/scope.type.js";
import type { Session } from "../types/session.type.js";
import type { Target } from "../types/target.type.js";
import type { User } from "../types/user.type.js";
import { compileSessionFilter } from "../../loaders/session-filter.js";

/**
 * Resources other than sessions are held as schema objects, mapped once per distinct id: a page of 100
 * sessions on 11 targets maps 11 targets, and each field gets the loader's promise as it is.
 */
export interface Loaders {
  /** Full scopes (`GET /v1/scopes/{id}`). */
  scope: DataLoader<string, Scope>;
  /** Full sessions (`GET /v1/sessions/{id}`, with connections), as read. */
  session: DataLoader<string, WireSession>;
  /** Targets (`GET /v1/targets/{id}`). */
  target: DataLoader<string, Target>;
  /** Users (`GET /v1/users/{id}`). */
  user: DataLoader<string, User>;
  /** Hosts (`GET /v1/hosts/{id}`). */
  host: DataLoader<string, Host>;
  /** Host sets (`GET /v1/host-sets/{id}`). */
  hostSet: DataLoader<string, HostSet>;
  /** Auth tokens (`GET /v1/auth-tokens/{id}`). */
  authToken: DataLoader<string, AuthToken>;
  /** Whole session listings (list pages followed up to `limit`), by their parameters: a listing asked
   * for twice in one request (`User.sessions` on each session of that user) is walked once. */
  /** Listings with their items already mapped (page by page, see `listSessions`). */
  sessionList: DataLoader<SessionListingKey, SessionListing<Session>, string>;
  /** A first listing walked with its items handed to `pages` page by page, not kept and not cached
   * (`ListSessionsOptions.pages`); its page calls count against the same cap as the loaders'. */
  walkSessionPages(key: SessionListingKey, pages: (items: Session[]) => void | Promise<void>): Promise<SessionListing<Session>>;
}

export interface SessionListingKey {
  params: Omit<ListSessionsParams, "pageSize">;
  /** Most sessions to gather. */
  limit: number;
}

export interface LoaderOptions {
  /** Most upstream calls the loaders of one request keep in flight, all loaders together (config
   * `MAX_UPSTREAM_CONCURRENCY_PER_REQUEST`). Default 16. */
  concurrency?: number;
  /** Told the size of every batch a loader dispatches (for metrics). */
  onBatch?: (loader: string, size: number) => void;
}

export function createLoaders(client: BoundaryClient, auth: string | undefined, options: LoaderOptions = {}): Loaders {
  const concurrency = options.concurrency ?? 16;
  // One cap for the whole request rather than per batch: several loaders dispatch in the same tick
  // (targets, users and hosts of one page of sessions), and together they must not flood the controller.
  const limit = createLimiter(concurrency);
  const loader = <T>(name: string, read: (id: string) => Promise<T>) =>
    new DataLoader<string, T>((ids) => {
      options.onBatch?.(name, ids.length);
      return readEach(ids, (id) => limit(() => read(id)), concurrency);
    });
  // Each list page takes a slot; a listing holds at most two (the page being parsed and the next one,
  // asked for meanwhile).
  const limitedClient: BoundaryClient = { ...client, listSessions: (p, a, s, k) => limit(() => client.listSessions(p, a, s, k)) };
  const walk = (k: SessionListingKey, pages?: (items: Session[]) => void | Promise<void>) =>
    listSessions(limitedClient, k.params, k.limit, auth, listed, {
      matches: k.params.filter === undefined ? undefined : compileSessionFilter(k.params.filter),
      pages,
    });
  return {
    // Each read is the registry's.
    scope: loader("scope", (id) => RESOURCES.scope.read(client, id, auth).then(toScope)),
    session: loader("session", (id) => RESOURCES.session.read(client, id, auth)),
    target: loader("target", (id) => RESOURCES.target.read(client, id, auth).then(toTarget)),
    user: loader("user", (id) => RESOURCES.user.read(client, id, auth).then(toUser)),
    host: loader("host", (id) => RESOURCES.host.read(client, id, auth).then(toHost)),
    hostSet: loader("hostSet", (id) => RESOURCES.hostSet.read(client, id, auth).then(toHostSet)),
    authToken: loader("authToken", (id) => RESOURCES.authToken.read(client, id, auth).then(toAuthToken)),
    sessionList: new DataLoader<SessionListingKey, SessionListing<Session>, string>(
      (keys) => {
        options.onBatch?.("sessionList", keys.length);
        return readEach(keys, (k) => walk(k), concurrency);
      },
      { cacheKeyFn: listingCacheKey },
    ),
    walkSessionPages: (key, pages) => {
      options.onBatch?.("sessionList", 1);
      return walk(key, pages);
    },
  };
}

function listingCacheKey({ params: p, limit }: SessionListingKey): string {
  // Fixed order, absent values normalised: equal listings must give equal keys.
  return JSON.stringify([p.scopeId, p.recursive, p.filter ?? null, p.includeTerminated, p.listToken ?? null, limit]);
}
