/**
 * What a poller hands its subscribers. Wire sessions, not schema objects: each event is mapped and
 * executed per subscriber by the GraphQL layer, with loaders made for that event.
 */
import type { WireSession } from "../boundary/wire.js";

/** A failure to report to the subscriber; the subscription goes on unless the stream ends after it. */
export interface LiveError {
  kind: "error";
  error: unknown;
}

/** `sessionsChanged`: the listing (first event), then what changed since the previous event. */
export interface SessionsDelta {
  kind: "delta";
  /** True for a subscriber's first event: the whole listing as the subscriber may see it. */
  initial: boolean;
  /** New or changed sessions (a changed version); the listing's order, or most recently updated first. */
  items: WireSession[];
  /** Ids that left this subscriber's view: deleted, gone from the listing, or (when the subscriber did
   * not ask for terminated sessions) terminated. Sorted. */
  removedIds: string[];
  /** The poller's list token after this event (a refresh token with include_terminated=true). */
  listToken: string | undefined;
}

export type SessionsEvent = SessionsDelta | LiveError;

/** `sessionUpdated`: the session as read, each time its version changes. */
export interface SessionSnapshot {
  kind: "session";
  session: WireSession;
}

export type SessionEvent = SessionSnapshot | LiveError;

/**
 * Folds two queued deltas into one for a subscriber that has not taken the first yet, so a slow socket
 * holds at most one pending delta: later copies of a session win, removals cancel earlier items.
 * Errors are never folded.
 */
export function mergeDeltas(queued: SessionsEvent, next: SessionsEvent): SessionsEvent | undefined {
  if (queued.kind !== "delta" || next.kind !== "delta") return undefined;
  const newer = new Set(next.items.map((s) => s.id));
  const removed = new Set(next.removedIds);
  const items = [...next.items, ...queued.items.filter((s) => !newer.has(s.id) && !removed.has(s.id))];
  // A first event is a listing: ids removed before the subscriber ever saw them are not news to it.
  const removedIds = queued.initial ? [] : [...new Set([...queued.removedIds.filter((id) => !newer.has(id)), ...next.removedIds])].sort();
  return { kind: "delta", initial: queued.initial, items, removedIds, listToken: next.listToken ?? queued.listToken };
}

/** Only the latest read of a session matters to a subscriber that has not taken the previous one. */
export function mergeSnapshots(queued: SessionEvent, next: SessionEvent): SessionEvent | undefined {
  return queued.kind === "session" && next.kind === "session" ? next : undefined;
}

export function isTerminated(s: WireSession): boolean {
  return (s.status ?? s.states?.[0]?.status) === "terminated";
}

/** What identifies one state of a session: each change bumps its version (and its update time). */
export function stamp(s: WireSession): string {
  return `${s.version ?? 0}|${s.updated_time ?? ""}`;
}
