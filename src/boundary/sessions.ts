/**
 * Session operations that take more than one call: walking list pages and cancelling with versions.
 * Still pure REST semantics (API-NOTES §3.4, §3.7); no GraphQL here.
 */
import type { BoundaryClient, ListSessionsParams } from "./client.js";
import { BoundaryApiError, BoundaryInputError, BoundaryVersionConflictError } from "./errors.js";
import type { WireSession } from "./wire.js";

export interface SessionListing {
  items: WireSession[];
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
 */
export async function listSessions(
  client: BoundaryClient,
  params: Omit<ListSessionsParams, "pageSize">,
  limit: number,
  auth: string | undefined,
): Promise<SessionListing> {
  const byId = new Map<string, WireSession>();
  const removed = new Set<string>();
  let token = params.listToken;
  let estItemCount: number | undefined;
  let first = true;
  for (;;) {
    // Asking for exactly what is still wanted keeps the last page from overshooting `limit`; the
    // controller caps a larger page_size at its own maximum silently.
    const page = await client.listSessions({ ...params, listToken: token, pageSize: limit - byId.size }, auth);
    for (const item of page.items ?? []) byId.set(item.id, item);
    for (const id of page.removed_ids ?? []) removed.add(id);
    if (first) estItemCount = page.est_item_count;
    first = false;
    // An empty initial listing carries no token: there is nothing to refresh from (API-NOTES §8.3).
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
  }
}

/**
 * Cancel a session. Without a version, read the current one first (the Go client's automatic
 * versioning) and, if activation raced the read, read and try once more. A stale version makes the
 * controller answer 500 (API-NOTES §3.7); a re-read tells a real conflict from another server error.
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
