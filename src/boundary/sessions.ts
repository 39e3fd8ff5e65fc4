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
): Promise<SessionListing<T>> {
  const byId = new Map<string, T>();
  const removed = new Set<string>();
  let estItemCount: number | undefined;
  /** Pages merged so far, and the item count of the last of them. */
  let merged = 0;
  let lastCount = 0;
  let ahead: Ahead | undefined;

  // Asking for exactly what is still wanted keeps the last page from overshooting `limit`; the
  // controller caps a larger page_size at its own maximum silently.
  const ask = (n: number, token: string | undefined, pageSize: number, signal?: AbortSignal): Promise<WireListResponse<WireSession>> =>
    client.listSessions({ ...params, listToken: token, pageSize }, auth, signal, (body) => {
      // Page n has arrived; page n - 1 is merged by now unless the walk is behind (then no guess).
      if (n < 2 || merged !== n - 1 || ahead !== undefined) return false;
      const tail = readTail(body);
      if (!tail.delta || tail.token === undefined) return false;
      const guess = byId.size + Math.min(pageSize, lastCount);
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
    for (;;) {
      for (const item of page.items ?? []) byId.set(item.id, keep(item));
      for (const id of page.removed_ids ?? []) removed.add(id);
      if (merged === 0) estItemCount = page.est_item_count;
      merged++;
      lastCount = page.items?.length ?? 0;
      // An empty initial listing carries no token: there is nothing to refresh from (hashicorp/boundary
      // internal/pagination/pagination.go makes one only when the page has items).
      token = page.list_token;
      const complete = page.response_type !== "delta";
      if (complete || byId.size >= limit || token === undefined) {
        for (const id of removed) byId.delete(id);
        return {
          items: [...byId.values()],
          listToken: token,
          responseType: complete ? "complete" : "delta",
          removedIds: [...removed].sort(),
          estItemCount: complete && params.listToken === undefined ? byId.size : estItemCount,
          sortBy: page.sort_by,
          sortDir: page.sort_dir,
        };
      }
      const wanted = limit - byId.size;
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
