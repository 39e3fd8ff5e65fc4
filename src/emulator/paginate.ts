/**
 * The controller's keyset pagination and refresh (`internal/pagination`), shared by every list endpoint.
 * Rows live in arrays sorted ascending by (time, id); a page walks one backwards from the token's last
 * item, so a page costs O(log n + rows scanned), never a sort.
 */
import type { ListResourceType, ListToken } from "./listtoken.js";
import { US_PER_S } from "./time.js";

/** `globals.RefreshReadLookbackDuration`: refreshes re-read this far behind their lower bound. */
export const REFRESH_LOOKBACK_US = 30 * US_PER_S;

export interface Keyed {
  id: string;
  createdUs: number;
  updatedUs: number;
}

export interface DeletedId {
  id: string;
  atUs: number;
}

export interface PageInput<R extends Keyed> {
  token: ListToken | undefined;
  resourceType: ListResourceType;
  grantsHash: string;
  nowUs: number;
  pageSize: number;
  /** Ascending by (createdUs, id). */
  byCreated: readonly R[];
  /** Ascending by (updatedUs, id). */
  byUpdated: readonly R[];
  /** Hard deletions, ascending by time. */
  deleted: readonly DeletedId[];
  /** The query's WHERE clause (scope, permissions, include_terminated, and the filter when given). */
  accept: (row: R) => boolean;
}

export interface PageOutput<R> {
  /** At most `pageSize` rows, newest first in the phase's order. */
  items: R[];
  complete: boolean;
  /** Undefined only for a token-less listing that matched nothing. */
  token: ListToken | undefined;
  sortBy: "created_time" | "updated_time";
  removedIds: string[];
  /** True for the token-less first call. */
  initial: boolean;
}

type Key<R> = (row: R) => number;
const created = (r: Keyed) => r.createdUs;
const updated = (r: Keyed) => r.updatedUs;

export function listPage<R extends Keyed>(p: PageInput<R>): PageOutput<R> {
  const limit = p.pageSize + 1;
  const base = { resourceType: p.resourceType, grantsHash: p.grantsHash };
  const t = p.token;

  if (t === undefined || t.kind === "pagination") {
    const after = t === undefined ? undefined : { time: t.lastItemCreateUs, id: t.lastItemId };
    const matches = scanDesc(p.byCreated, created, after, undefined, p.accept, limit);
    const complete = matches.length < limit;
    const items = matches.slice(0, p.pageSize);
    const createUs = t === undefined ? p.nowUs : t.createUs;
    let token: ListToken | undefined;
    if (t === undefined && items.length === 0) {
      token = undefined;
    } else if (complete) {
      // The first refresh reaches back to the original listing time: anything created or changed
      // after the listing began shows up there.
      token = { ...base, kind: "start-refresh", createUs, previousDeletedIdsUs: createUs, previousPhaseUpperBoundUs: createUs };
    } else {
      const last = items[items.length - 1];
      token = { ...base, kind: "pagination", createUs, lastItemId: last.id, lastItemCreateUs: last.createdUs };
    }
    return { items, complete, token, sortBy: "created_time", removedIds: [], initial: t === undefined };
  }

  const lower = t.kind === "start-refresh" ? t.previousPhaseUpperBoundUs : t.phaseLowerBoundUs;
  const upper = t.kind === "start-refresh" ? p.nowUs : t.phaseUpperBoundUs;
  const after = t.kind === "refresh" ? { time: t.lastItemUpdateUs, id: t.lastItemId } : undefined;
  const matches = scanDesc(p.byUpdated, updated, after, lower - REFRESH_LOOKBACK_US, p.accept, limit);
  const complete = matches.length < limit;
  const items = matches.slice(0, p.pageSize);
  const removedIds = deletedSince(p.deleted, t.previousDeletedIdsUs - REFRESH_LOOKBACK_US);
  let token: ListToken;
  if (complete) {
    token = { ...base, kind: "start-refresh", createUs: t.createUs, previousDeletedIdsUs: p.nowUs, previousPhaseUpperBoundUs: upper };
  } else {
    const last = items[items.length - 1];
    token = {
      ...base,
      kind: "refresh",
      createUs: t.createUs,
      previousDeletedIdsUs: p.nowUs,
      phaseLowerBoundUs: lower,
      phaseUpperBoundUs: upper,
      lastItemId: last.id,
      lastItemUpdateUs: last.updatedUs,
    };
  }
  return { items, complete, token, sortBy: "updated_time", removedIds, initial: false };
}

/** Rows strictly before `after` in descending (key, id) order, with key > `floor`, that `accept`. */
function scanDesc<R extends Keyed>(
  rows: readonly R[],
  key: Key<R>,
  after: { time: number; id: string } | undefined,
  floor: number | undefined,
  accept: (row: R) => boolean,
  limit: number,
): R[] {
  const out: R[] = [];
  let i = after === undefined ? rows.length - 1 : lowerBound(rows, key, after.time, after.id) - 1;
  for (; i >= 0 && out.length < limit; i--) {
    const row = rows[i];
    if (floor !== undefined && key(row) <= floor) break;
    if (accept(row)) out.push(row);
  }
  return out;
}

/** First index whose (key, id) is >= (time, id). */
export function lowerBound<R extends Keyed>(rows: readonly R[], key: Key<R>, time: number, id: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = rows[mid];
    const k = key(r);
    if (k < time || (k === time && r.id < id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function deletedSince(deleted: readonly DeletedId[], sinceUs: number): string[] {
  let lo = 0;
  let hi = deleted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (deleted[mid].atUs <= sinceUs) lo = mid + 1;
    else hi = mid;
  }
  return deleted.slice(lo).map((d) => d.id);
}

/** Insert keeping (key, id) ascending order; appends in O(1) when the row is the newest. */
export function insertSorted<R extends Keyed>(rows: R[], key: Key<R>, row: R): void {
  const n = rows.length;
  if (n === 0 || key(rows[n - 1]) < key(row) || (key(rows[n - 1]) === key(row) && rows[n - 1].id < row.id)) {
    rows.push(row);
    return;
  }
  rows.splice(lowerBound(rows, key, key(row), row.id), 0, row);
}

/** Remove a row located by its current (key, id). */
export function removeSorted<R extends Keyed>(rows: R[], key: Key<R>, row: R): void {
  const i = lowerBound(rows, key, key(row), row.id);
  if (rows[i] === row) rows.splice(i, 1);
}

export const byCreatedKey: Key<Keyed> = created;
export const byUpdatedKey: Key<Keyed> = updated;
