/**
 * A poller: one loop of upstream reads shared by every subscriber with the same token and arguments.
 * Subclasses say what one poll reads and what it tells subscribers; this class owns the schedule, the
 * per-poll deadline, backoff and the error policy:
 *
 * - success: the next poll one interval after this one ended (polls never overlap);
 * - 429, 5xx, unreachable, timeout, unreadable answer: transient. The first failure of a streak is told
 *   to subscribers as an error event (the subscription stays open); polls go on with exponential
 *   backoff (interval x 2^failures, at most `maxBackoffMs`, never sooner than a Retry-After), and the
 *   first success resumes where the list token left off, so nothing is missed;
 * - 401: the token was refused. Every poller of that token stops with the error (the registry's job);
 * - anything else (403, 404, a 400, a bug): this poller stops with the error.
 */
import type { Logger } from "../logger.js";
import { createCallScope } from "../boundary/call-scope.js";
import type { BoundaryClient } from "../boundary/client.js";
import {
  BoundaryApiError,
  BoundaryBudgetError,
  BoundaryProtocolError,
  BoundaryTimeoutError,
  BoundaryUnreachableError,
} from "../boundary/errors.js";
import type { LiveError } from "./events.js";
import type { SharedLink, SharedState } from "./sharing.js";
import { EventStream } from "./stream.js";

export interface PollerDeps {
  logger: Logger;
  /** Deadline of one poll's upstream calls, retries included. */
  pollTimeoutMs: number;
  /** Longest wait between polls while the controller keeps failing (the interval, if longer). */
  maxBackoffMs: number;
  /** Told once when the poller stops, whatever the reason. */
  onStop: (poller: RunningPoller) => void;
  /** The interval to keep instead of `intervalMs` (the list budget stretches it); default: as asked. */
  pace?: (intervalMs: number) => number;
  /** Told when the controller answered 401: the registry stops every poller of this token. */
  onRefused: (auth: string | undefined, error: BoundaryApiError) => void;
  /** With REDIS_URL: this poller's link to the other processes polling the same key (see sharing.ts). */
  link?: SharedLink;
}

/** How often a leader stores its state when nothing changed (its list token moves on meanwhile). */
const STORE_EVERY_MS = 30_000;

/** What the registry needs of a poller, whatever it polls. */
export interface RunningPoller {
  readonly key: string;
  readonly auth: string | undefined;
  readonly kind: string;
  readonly running: boolean;
  readonly subscriberCount: number;
  /** Another process polls for this one (REDIS_URL): not counted against the caps. */
  readonly following: boolean;
  stop(final?: LiveError): void;
}

/** `D`: the poller's data events; its subscribers also get `LiveError`s. `S`: one subscriber's options. */
export abstract class Poller<D extends { kind: string }, S> implements RunningPoller {
  /** Each subscriber's stream, with its own options (what it asked to see). */
  protected readonly subscribers = new Map<EventStream<D | LiveError>, S>();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private failures = 0;
  private stopped = false;
  /** A poll is in flight (no timer is set meanwhile). */
  private polling = false;
  /** With a link: what the last claim made of this process for this key. */
  private role: "lead" | "follow" | "local" = "local";
  /** Sequence number of the last shared state this poller told or adopted. */
  private seq = 0;
  /** Polled for itself since it last stored or adopted a shared state: its own state is the newer. */
  private dirty = false;
  /** The last poll changed what subscribers were told (set by subclasses through `changed()`). */
  private told = false;
  /** When this poller last stored its state as leader. */
  private storedAt = 0;

  constructor(
    /** The sharing key (holds the token: never log it). */
    readonly key: string,
    /** The Authorization value every poll sends (never log it). */
    readonly auth: string | undefined,
    readonly intervalMs: number,
    protected readonly deps: PollerDeps,
  ) {
    deps.link?.listen((shared) => {
      if (this.stopped || this.role === "lead" || shared.seq <= this.seq) return;
      this.adopt(shared);
    });
  }

  /** The controller client; each poll uses it bound to that poll's call scope. */
  protected abstract readonly client: BoundaryClient;
  /** What one poll does with `client`: read upstream, update the state, push events. Throws on upstream failure. */
  protected abstract poll(client: BoundaryClient): Promise<void>;
  /** What a subscriber joining now is told first (the current state, once there is one). */
  protected abstract welcome(stream: EventStream<D | LiveError>, options: S): void;
  /** Folds queued events for a slow subscriber. */
  protected abstract merge(queued: D | LiveError, next: D | LiveError): D | LiveError | undefined;
  /** Event kind for metrics and logs. */
  abstract readonly kind: string;
  /** What another process needs to continue from here (JSON-safe); undefined before the first poll. */
  protected abstract snapshot(): unknown;
  /** Takes another process's state, telling subscribers what differs from this one's. */
  protected abstract restore(state: unknown): void;

  /** Subclasses call this when a poll told subscribers something: the leader then announces it. */
  protected changed(): void {
    this.told = true;
  }

  get following(): boolean {
    return this.role === "follow";
  }

  private adopt(shared: SharedState): void {
    this.seq = shared.seq;
    this.dirty = false;
    this.restore(shared.state);
    // Told by the leader already: nothing for this process to announce.
    this.told = false;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** A new subscriber. The first one starts polling at once. */
  join(options: S): EventStream<D | LiveError> {
    const stream: EventStream<D | LiveError> = new EventStream<D | LiveError>({
      onReturn: () => this.leave(stream),
      merge: (a, b) => this.merge(a, b),
    });
    this.subscribers.set(stream, options);
    this.welcome(stream, options);
    if (this.timer === undefined && !this.polling && !this.stopped) this.schedule(0);
    return stream;
  }

  /** Ends every subscription (after `final`, if given) and stops polling for good. */
  stop(final?: D | LiveError): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // An in-flight poll is abandoned: its calls are aborted and its result dropped.
    this.abort.abort();
    for (const stream of this.subscribers.keys()) {
      if (final !== undefined) stream.push(final);
      stream.end();
    }
    this.subscribers.clear();
    this.deps.link?.release();
    this.deps.onStop(this);
  }

  private leave(stream: EventStream<D | LiveError>): void {
    if (!this.subscribers.delete(stream)) return;
    if (this.subscribers.size === 0) this.stop();
  }

  protected broadcast(event: D | LiveError): void {
    for (const stream of this.subscribers.keys()) stream.push(event);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick().catch((err: unknown) => {
        // tick handles every poll failure itself; reaching here is a bug in this module.
        this.deps.logger.error({ err }, "live poller failed");
        this.stop({ kind: "error", error: err });
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.polling = true;
    let next: number | undefined = this.deps.pace ? this.deps.pace(this.intervalMs) : this.intervalMs;
    const link = this.deps.link;
    if (link !== undefined && !(await this.claim(link))) {
      this.polling = false;
      // Sooner than the interval: how often a follower claims bounds how long a dead leader's key waits.
      if (!this.stopped) this.schedule(link.followEveryMs);
      return;
    }
    try {
      // Each poll is one "request": its calls share a deadline, and stopping the poller aborts them.
      // Its list calls are a poller's: they yield to queries when the list budget runs low.
      const scope = createCallScope(this.deps.pollTimeoutMs, this.abort.signal, "poll");
      try {
        await this.poll(this.client.withScope(scope));
      } finally {
        scope.end();
      }
      this.failures = 0;
      if (link !== undefined) await this.share(link);
    } catch (err) {
      next = this.stopped ? undefined : this.failed(err);
    } finally {
      this.polling = false;
    }
    if (next !== undefined && !this.stopped) this.schedule(next);
  }

  /** Whether this process polls this round (it leads, or Redis cannot be used); a follower adopts
   * the stored state if its messages missed some. */
  private async claim(link: SharedLink): Promise<boolean> {
    const wasLeading = this.role === "lead";
    const claim = await link.claim(this.seq, !wasLeading);
    if (this.stopped) return false;
    this.role = claim.role;
    if (claim.role === "local") return true;
    // A process that polled alone while Redis was away keeps its own, newer state and announces it.
    if (claim.stored !== undefined && (claim.role === "follow" || !this.dirty) && claim.stored.seq >= this.seq) this.adopt(claim.stored);
    if (claim.role === "lead" && !wasLeading) {
      this.seq = Math.max(this.seq, claim.seq);
      if (this.dirty) this.told = true;
    }
    return claim.role === "lead";
  }

  /** After the leader's poll: store the state for a successor, and announce it when it told something. */
  private async share(link: SharedLink): Promise<void> {
    const announce = this.told;
    this.told = false;
    if (this.role !== "lead") {
      this.dirty = true;
      return;
    }
    // Between announcements only the list token moves. A successor that starts from an older one is
    // re-told sessions it already holds at the same version, which it drops, so the state is stored
    // on changes and now and then, not on every poll.
    if (!announce && !this.dirty && Date.now() - this.storedAt < STORE_EVERY_MS) return;
    const state = this.snapshot();
    if (state === undefined || this.stopped) return;
    const seq = announce ? this.seq + 1 : this.seq;
    const outcome = await link.store({ seq, state }, announce);
    if (outcome === "stored") {
      this.seq = seq;
      this.storedAt = Date.now();
      this.dirty = false;
    } else {
      // Lost the lease (another process now leads, and will tell the same changes without a sequence
      // clash) or Redis failed (this process goes on alone until it is back).
      this.role = outcome === "lost" ? "follow" : "local";
      this.dirty = outcome === "failed";
    }
  }

  /** The error policy (see the top of this file): the delay before the next poll, or undefined when
   * this poller has stopped. */
  private failed(err: unknown): number | undefined {
    // The gateway's own budget held this poll back: nothing failed, the poll just comes later.
    if (err instanceof BoundaryBudgetError) return Math.max(err.retryAfter * 1000, this.intervalMs);
    if (err instanceof BoundaryApiError && err.status === 401) {
      this.deps.onRefused(this.auth, err);
      this.stop({ kind: "error", error: err });
      return undefined;
    }
    if (!isTransient(err)) {
      this.stop({ kind: "error", error: err });
      return undefined;
    }
    this.failures++;
    const cap = Math.max(this.deps.maxBackoffMs, this.intervalMs);
    const backoff = Math.min(this.intervalMs * 2 ** this.failures, cap);
    const retryAfterMs = err instanceof BoundaryApiError && err.retryAfter !== undefined ? err.retryAfter * 1000 : 0;
    const delay = Math.max(backoff, retryAfterMs);
    // Once per streak, so a controller that stays down does not flood subscribers with the same error.
    if (this.failures === 1) this.broadcast({ kind: "error", error: err });
    this.deps.logger.warn(
      { kind: this.kind, failures: this.failures, retryInMs: delay, error: (err as Error).message },
      "live poll failed; retrying",
    );
    return delay;
  }
}

/** Failures worth retrying: the controller may answer differently later without anyone acting. */
export function isTransient(err: unknown): boolean {
  if (err instanceof BoundaryUnreachableError || err instanceof BoundaryTimeoutError || err instanceof BoundaryProtocolError) return true;
  return err instanceof BoundaryApiError && (err.status === 429 || err.status >= 500);
}
