/**
 * Session operations that take more than one call: walking list pages and cancelling with versions.
 * Still pure REST semantics (list tokens: internal/pagination/pagination.go in hashicorp/boundary; cancel:
 * internal/session/repository_session.go); no GraphQL here.
 */
import type { BoundaryClient, ListSessionsParams } from "./client.js";
import { BoundaryApiError, BoundaryInputError, BoundaryVersionConflictError } from "./errors.js";
import type { WireListResponse, WireSession } from "./wire.js";

export interface SessionListing<T = WireSession> {
  /** The sessions, as `keep` made them of the wire items. */
  items: T[];
  /** Token to go on from: the next page's when `hasNextPage`, else the start of a refresh. */
  listToken: string | undefined;
  responseType: "complete" | "delta";
  removedIds: string[];
  estItemCount: number | undefined;
  sortBy: string | undefined;
  sortDir: string | undefined;
}

/**
 * Follow list tokens until the phase is complete or `limit` items are gathered, as Boundary's Go client
 * does: every page repeats scope, recursion, filter and include_terminated (the token encodes none of
 * them); items are merged by id (a later copy replaces an earlier one in place); `removed_ids` are
 * gathered, de-duplicated and sorted, and removed ids leave the items.
 *
 * Parsing a page of 1000 sessions takes a few milliseconds, as long as the controller takes to build
 * the next one. So from the third page on, the walker asks for the next page as soon as a page's body
 * has arrived, reading the token and the response type off the envelope's tail, and parses while the
 * controller works. That request assumes this page is as large as the last one and adds only new ids
 * (what the sequential walk would then ask for); once the page is parsed the guess is checked, and a
 * wrong one (a short page, ids seen before, a misread tail) is abandoned and the right page asked for.
 * So the calls are the sequential walk's, plus one only where the guess failed.
 *
 * `keep` turns each wire item into what the listing holds, page by page: the parsed page then dies
 * young instead of living, with everything it holds, until the last page is in.
 */
export async function listSessions<T = WireSession>(
  client: BoundaryClient,
  params: Omit<ListSessionsParams, "pageSize">,
  limit: number,
  auth: string | undefined,
  keep: (item: WireSession) => T = (item) => item as T,
  options: ListSessionsOptions<T> = {},
): Promise<SessionListing<T>> {
  const byId = new Map<string, T>();
  /** With `options.pages`: the ids handed out so far (their items are not kept here). */
  const handed = new Set<string>();
  const pages = options.pages;
  if (pages && params.listToken !== undefined) throw new Error("listSessions: pages are handed out for a first listing only");
  const size = () => byId.size + handed.size;
  const removed = new Set<string>();
  /** Sessions a refresh saw change that the caller's view no longer holds (see `ListSessionsOptions`). */
  const left = new Set<string>();
  // A refresh is asked for unfiltered when the gateway can apply the caller's filter itself: the
  // controller filters refresh pages too (internal/session/repository_session.go), so a session that
  // stops matching would be in neither `items` nor `removed_ids` (those are hard deletions only).
  const local =
    params.listToken !== undefined &&
    (params.filter === undefined || options.matches !== undefined) &&
    !client.listTokenPhases.isNextPage(params.listToken);
  const visible = (item: WireSession): boolean =>
    (params.includeTerminated || !isTerminated(item)) && (options.matches === undefined || options.matches(item));
  /** What is sent: the caller's parameters, or, while the phase is unknown or a refresh, the unfiltered
   * ones. A token does not say its phase; the first answer does (its `sort_by`). */
  let sent: Omit<ListSessionsParams, "pageSize"> = local ? { ...params, filter: undefined, includeTerminated: true } : params;
  let filtering = local;
  let estItemCount: number | undefined;
  /** Pages merged so far, and the item count of the last of them. */
  let merged = 0;
  let lastCount = 0;
  let ahead: Ahead | undefined;

  // Asking for exactly what is still wanted keeps the last page from overshooting `limit`; the
  // controller caps a larger page_size at its own maximum silently.
  const ask = (n: number, token: string | undefined, pageSize: number, signal?: AbortSignal): Promise<WireListResponse<WireSession>> =>
    client.listSessions({ ...sent, listToken: token, pageSize }, auth, signal, (body) => {
      // Page n has arrived; page n - 1 is merged by now unless the walk is behind (then no guess).
      // While filtering here, a page's size says nothing of how many items it adds: no guess.
      if (filtering || n < 2 || merged !== n - 1 || ahead !== undefined) return false;
      const tail = readTail(body);
      if (!tail.delta || tail.token === undefined) return false;
      const guess = size() + Math.min(pageSize, lastCount);
      if (guess >= limit) return false;
      const abort = new AbortController();
      const page = ask(n + 1, tail.token, limit - guess, abort.signal);
      page.catch(() => undefined);
      ahead = { token: tail.token, pageSize: limit - guess, page, abort };
      return true;
    });

  try {
    let token = params.listToken;
    let page = await ask(1, token, limit);
    // A controller before 0.15 has no pagination (internal/pagination came with 0.15): it ignores
    // page_size and list_token and sends every item, with no response_type. Cut to `limit` here.
    if (page.response_type === undefined) return prePagination(page, limit, keep, pages);
    for (;;) {
      if (pages) {
        // A first listing's pages follow one another by creation time (internal/pagination): an id
        // seen twice, or a removal, would change items already handed out.
        const fresh: T[] = [];
        for (const item of page.items ?? []) {
          if (handed.has(item.id)) throw new ListingNotPageable(`session ${item.id} was listed twice`);
          handed.add(item.id);
          fresh.push(keep(item));
        }
        if ((page.removed_ids?.length ?? 0) > 0) throw new ListingNotPageable("a first listing reported removed sessions");
        // The caller's work on the page before this one; the walk goes on once it is done.
        await pages(fresh);
      } else if (!filtering) {
        for (const item of page.items ?? []) byId.set(item.id, keep(item));
      } else {
        // A refresh phase is sorted by update time, a listing's by creation time
        // (internal/pagination/pagination.go): only a refresh reports what left the view.
        const refresh = page.sort_by === "updated_time";
        for (const item of page.items ?? []) {
          if (visible(item)) {
            byId.set(item.id, keep(item));
            left.delete(item.id);
          } else {
            byId.delete(item.id);
            if (refresh) left.add(item.id);
          }
        }
        // A listing's later pages are asked with the caller's parameters: the controller filters them,
        // and fewer calls carry the same items.
        if (!refresh) {
          sent = params;
          filtering = false;
        }
      }
      for (const id of page.removed_ids ?? []) removed.add(id);
      if (merged === 0) estItemCount = page.est_item_count;
      merged++;
      lastCount = page.items?.length ?? 0;
      // An empty initial listing carries no token: there is nothing to refresh from (hashicorp/boundary
      // internal/pagination/pagination.go makes one only when the page has items).
      token = page.list_token;
      const complete = page.response_type !== "delta";
      if (complete || size() >= limit || token === undefined) {
        if (!complete && token !== undefined && page.sort_by === "created_time") client.listTokenPhases.nextPage(token);
        for (const id of removed) byId.delete(id);
        for (const id of left) removed.add(id);
        return {
          items: [...byId.values()],
          listToken: token,
          responseType: complete ? "complete" : "delta",
          removedIds: [...removed].sort(),
          estItemCount: complete && params.listToken === undefined ? size() : estItemCount,
          sortBy: page.sort_by,
          sortDir: page.sort_dir,
        };
      }
      const wanted = limit - size();
      const guessed = ahead;
      ahead = undefined;
      if (guessed && guessed.token === token && guessed.pageSize === wanted) {
        page = await guessed.page;
      } else {
        guessed?.abort.abort();
        page = await ask(merged + 1, token, wanted);
      }
    }
  } finally {
    // A guess the walk did not use (it ended, or failed) is not left running.
    ahead?.abort.abort();
  }
}

async function prePagination<T>(
  page: WireListResponse<WireSession>,
  limit: number,
  keep: (item: WireSession) => T,
  pages: ((items: T[]) => void | Promise<void>) | undefined,
): Promise<SessionListing<T>> {
  const all = page.items ?? [];
  const cut = all.length > limit;
  const items = all.slice(0, limit).map(keep);
  await pages?.(items);
  return {
    items: pages ? [] : items,
    listToken: undefined,
    // "delta" is what says more items exist than were returned (hasNextPage).
    responseType: cut ? "delta" : "complete",
    removedIds: [],
    estItemCount: all.length,
    sortBy: page.sort_by,
    sortDir: page.sort_dir,
  };
}

export interface ListSessionsOptions<T = WireSession> {
  /**
   * The caller's `filter`, evaluated here. When given (or when there is no filter), a refresh is asked
   * for with no filter and include_terminated=true, and the walker applies `filter` and
   * `includeTerminated` itself: changed sessions in the caller's view are `items`, changed sessions out
   * of it join `removedIds`. May throw; the walk then fails with that error.
   */
  matches?: (item: WireSession) => boolean;
  /**
   * For a first listing only (no `listToken`): each page's items are handed here, in order, as the page
   * is merged, and not kept; the listing returned has no items. So a whole listing never holds more than
   * a page of items (src/execution/paged.ts writes them out page by page). What it returns is awaited
   * before the next page is merged, so a caller that falls behind holds the walk. Throws `ListingNotPageable`
   * when a page would change items already handed out. May throw; the walk then fails with that error.
   */
  pages?: (items: T[]) => void | Promise<void>;
}

/** A listing whose pages cannot be handed out one by one (see `ListSessionsOptions.pages`). */
export class ListingNotPageable extends Error {
  override readonly name = "ListingNotPageable";
}

function isTerminated(s: WireSession): boolean {
  return (s.status ?? s.states?.[0]?.status) === "terminated";
}

/** A page asked for before the one in front of it was parsed. */
interface Ahead {
  token: string;
  pageSize: number;
  page: Promise<WireListResponse<WireSession>>;
  abort: AbortController;
}

const LIST_TOKEN_AT = /"list_token"\s*:\s*"([1-9A-HJ-NP-Za-km-z]+)"/y;
const DELTA_AT = /"response_type"\s*:\s*"delta"/y;

/**
 * The envelope's token and response type, read off the raw body without parsing it. The last
 * occurrence of each key is the envelope's (the controller writes them after `items`; a quote inside a
 * string value is escaped, so the quoted key cannot be part of one). Only a guess: the walker checks
 * it against the parsed page before relying on it.
 */
export function readTail(body: string): { token: string | undefined; delta: boolean } {
  const at = body.lastIndexOf('"list_token"');
  LIST_TOKEN_AT.lastIndex = at;
  const token = at < 0 ? undefined : LIST_TOKEN_AT.exec(body)?.[1];
  const rt = body.lastIndexOf('"response_type"');
  DELTA_AT.lastIndex = rt;
  return { token, delta: rt >= 0 && DELTA_AT.test(body) };
}

/**
 * Cancel a session. Without a version, read the current one first (the Go client's automatic
 * versioning) and, if activation raced the read, read and try once more. A stale version makes the
 * controller answer 500 (hashicorp/boundary internal/session/repository_session.go, updateState: "updated
 * session and 0 rows updated"); a re-read tells a real conflict from another server error.
 */
export async function cancelSession(
  client: BoundaryClient,
  id: string,
  version: number | undefined,
  auth: string | undefined,
): Promise<WireSession> {
  if (version !== undefined && (!Number.isInteger(version) || version < 1 || version > 0xffffffff)) {
    throw new BoundaryInputError("version", "version must be a positive whole number (the session's current version)");
  }
  const attempts = version === undefined ? 2 : 1;
  for (let attempt = 1; ; attempt++) {
    const sent = version ?? (await client.getSession(id, auth)).version ?? 0;
    try {
      return await client.cancelSession(id, sent, auth);
    } catch (err) {
      if (!(err instanceof BoundaryApiError) || err.status !== 500) throw err;
      const current = await client.getSession(id, auth);
      const stillCancellable = current.status === "pending" || current.status === "active";
      if (!stillCancellable || (current.version ?? 0) === sent) throw err;
      if (attempt >= attempts) {
        throw new BoundaryVersionConflictError(id, sent, current.version ?? 0, { cause: err });
      }
    }
  }
}
