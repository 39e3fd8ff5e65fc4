/**
 * `sessionsChanged`: one listing, then one refresh per interval with the list token (hashicorp/boundary
 * internal/session/service_list_refresh.go).
 *
 * Always lists with include_terminated=true, whatever subscribers asked: with false, a session that
 * terminates silently drops out of refresh results and never reaches `removed_ids` (hashicorp/boundary
 * internal/session/repository_session.go adds `termination_reason is null` to listing and refresh alike).
 * Subscribers who did not ask for terminated sessions are told a newly terminated id in `removedIds`.
 *
 * The controller also filters refresh pages, so a session that stops matching the filter would never
 * be reported; refreshes are asked for unfiltered and filtered here, and a changed session that no longer
 * matches leaves the listing (listSessions reports it in `removedIds`).
 *
 * Refreshes re-read 30 s behind their lower bound, so the same session comes back round after round;
 * the poller keeps the listing (id -> session) and only tells what changed version, or left.
 */
import type { BoundaryClient } from "../boundary/client.js";
import { BoundaryApiError } from "../boundary/errors.js";
import { listSessions, type SessionListing } from "../boundary/sessions.js";
import type { WireSession } from "../boundary/wire.js";
import { LiveRefusalError } from "./errors.js";
import { isTerminated, mergeDeltas, stamp, type SessionsDelta, type SessionsEvent } from "./events.js";
import { Poller, type PollerDeps } from "./poller.js";
import type { EventStream } from "./stream.js";

export interface SessionsQuery {
  scopeId: string;
  recursive: boolean;
  filter: string | undefined;
  /** `filter`, compiled: refreshes are asked for unfiltered and filtered here (see listSessions). */
  matches: ((item: WireSession) => boolean) | undefined;
}

/** One subscriber's view. */
export interface SessionsView {
  includeTerminated: boolean;
}

interface Change {
  id: string;
  before: WireSession | undefined;
  after: WireSession | undefined;
}

export class SessionsPoller extends Poller<SessionsDelta, SessionsView> {
  readonly kind = "sessionsChanged";
  /** The listing as of the last successful poll, terminated sessions included; undefined before it. */
  private current: Map<string, WireSession> | undefined;
  private listToken: string | undefined;
  /** The listing told to joining subscribers, per view, until the state changes: subscribers that join
   * in between get the same event object, so they share its execution instead of each making their own. */
  private readonly welcomes = new Map<boolean, SessionsDelta>();

  constructor(
    key: string,
    auth: string | undefined,
    intervalMs: number,
    deps: PollerDeps,
    protected readonly client: BoundaryClient,
    private readonly query: SessionsQuery,
    /** Most sessions the listing may hold (MAX_LIST_ITEMS). */
    private readonly maxItems: number,
  ) {
    super(key, auth, intervalMs, deps);
  }

  protected welcome(stream: EventStream<SessionsEvent>, view: SessionsView): void {
    if (this.current === undefined) return; // the first poll tells everyone
    let listing = this.welcomes.get(view.includeTerminated);
    if (listing === undefined) this.welcomes.set(view.includeTerminated, (listing = this.listingFor(view)));
    stream.push(listing);
  }

  protected merge(queued: SessionsEvent, next: SessionsEvent): SessionsEvent | undefined {
    return mergeDeltas(queued, next);
  }

  protected async poll(client: BoundaryClient): Promise<void> {
    // An empty first listing carries no token: there is nothing to refresh from, so list again.
    if (this.current === undefined || this.listToken === undefined) return this.relist(client);
    let listing: SessionListing;
    try {
      listing = await this.list(client, this.listToken);
    } catch (err) {
      // The caller's grants changed, or the token is 30 days old: start over and tell the difference.
      if (err instanceof BoundaryApiError && err.status === 400 && err.kind === "invalid list token") return this.relist(client);
      throw err;
    }
    const current = this.current;
    const changes: Change[] = [];
    for (const item of listing.items) {
      const before = current.get(item.id);
      if (before !== undefined && stamp(before) === stamp(item)) continue;
      current.set(item.id, item);
      changes.push({ id: item.id, before, after: item });
    }
    // `removed_ids` may name sessions never listed here (other scopes, filtered out): only known ones count.
    for (const id of listing.removedIds) {
      const before = current.get(id);
      if (before === undefined) continue;
      current.delete(id);
      changes.push({ id, before, after: undefined });
    }
    const listToken = listing.listToken ?? this.listToken;
    if (changes.length > 0 || listToken !== this.listToken) this.welcomes.clear();
    this.listToken = listToken;
    this.publish(changes);
  }

  /** A listing from scratch: the first event, or, after a refused token, the difference from before. */
  private async relist(client: BoundaryClient): Promise<void> {
    const listing = await this.list(client, undefined);
    if (listing.responseType === "delta") {
      throw new LiveRefusalError(
        "BAD_USER_INPUT",
        `More than ${this.maxItems} sessions match this subscription (MAX_LIST_ITEMS); narrow it with scopeId, recursive: false or a filter.`,
      );
    }
    this.replace(new Map(listing.items.map((s) => [s.id, s] as const)), listing.listToken);
  }

  protected snapshot(): unknown {
    if (this.current === undefined) return undefined;
    return { listToken: this.listToken ?? null, sessions: [...this.current.values()] };
  }

  protected restore(state: unknown): void {
    const { listToken, sessions } = state as { listToken: string | null; sessions: WireSession[] };
    this.replace(new Map(sessions.map((s) => [s.id, s] as const)), listToken ?? undefined);
  }

  /** A whole listing in place of the current one: subscribers are told the listing (first) or the difference. */
  private replace(fresh: Map<string, WireSession>, listToken: string | undefined): void {
    const previous = this.current;
    this.current = fresh;
    this.listToken = listToken;
    this.welcomes.clear();
    if (previous === undefined) {
      const byView = new Map<boolean, SessionsDelta>();
      for (const [stream, view] of this.subscribers) {
        let event = byView.get(view.includeTerminated);
        if (event === undefined) byView.set(view.includeTerminated, (event = this.listingFor(view)));
        stream.push(event);
      }
      this.changed();
      return;
    }
    const changes: Change[] = [];
    for (const [id, after] of fresh) {
      const before = previous.get(id);
      if (before === undefined || stamp(before) !== stamp(after)) changes.push({ id, before, after });
    }
    for (const [id, before] of previous) if (!fresh.has(id)) changes.push({ id, before, after: undefined });
    this.publish(changes);
  }

  private list(client: BoundaryClient, listToken: string | undefined): Promise<SessionListing> {
    return listSessions(
      client,
      { scopeId: this.query.scopeId, recursive: this.query.recursive, filter: this.query.filter, includeTerminated: true, listToken },
      this.maxItems,
      this.auth,
      undefined,
      { matches: this.query.matches },
    );
  }

  /** Tells each subscriber what changed in its view; nothing to those whose view did not change. One
   * event object per view, shared by its subscribers (so they can share that event's loaders). */
  private publish(changes: Change[]): void {
    if (changes.length === 0) return;
    this.changed();
    const byView = new Map<boolean, SessionsDelta | null>();
    for (const [stream, { includeTerminated }] of this.subscribers) {
      let event = byView.get(includeTerminated);
      if (event === undefined) {
        event = this.deltaFor(changes, includeTerminated);
        byView.set(includeTerminated, event);
      }
      if (event !== null) stream.push(event);
    }
  }

  private deltaFor(changes: Change[], includeTerminated: boolean): SessionsDelta | null {
    const visible = (s: WireSession | undefined): s is WireSession => s !== undefined && (includeTerminated || !isTerminated(s));
    const items: WireSession[] = [];
    const removedIds: string[] = [];
    for (const { id, before, after } of changes) {
      if (visible(after)) items.push(after);
      else if (visible(before)) removedIds.push(id);
    }
    if (items.length === 0 && removedIds.length === 0) return null;
    return { kind: "delta", initial: false, items, removedIds: removedIds.sort(), listToken: this.listToken };
  }

  private listingFor({ includeTerminated }: SessionsView): SessionsDelta {
    const items = [...this.current!.values()].filter((s) => includeTerminated || !isTerminated(s));
    // Newest first, as a listing is. Compared as instants: timestamps carry 0 to 9 fractional digits.
    items.sort((a, b) => Date.parse(b.created_time ?? "") - Date.parse(a.created_time ?? "") || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { kind: "delta", initial: true, items, removedIds: [], listToken: this.listToken };
  }
}
