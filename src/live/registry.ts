/**
 * The process's live pollers, shared by key: subscribers with the same token and the same arguments
 * get one poller; a poller stops when its last subscriber leaves. Nothing is shared across tokens (the
 * token is part of every key), and a token the controller refused (401) stops all of its pollers.
 */
import { createHash } from "node:crypto";
import { Gauge, type Registry } from "prom-client";
import { checkFilter, checkScopeId, checkSessionId, type BoundaryClient } from "../boundary/client.js";
import type { BoundaryApiError } from "../boundary/errors.js";
import { compileSessionFilter } from "../loaders/session-filter.js";
import type { Logger } from "../logger.js";
import { LiveRefusalError } from "./errors.js";
import type { SessionEvent, SessionsEvent } from "./events.js";
import type { PollerDeps, RunningPoller } from "./poller.js";
import { SessionPoller } from "./session-poller.js";
import { SessionsPoller } from "./sessions-poller.js";
import type { LiveSharing } from "./sharing.js";
import type { EventStream } from "./stream.js";

export interface LiveRegistryOptions {
  client: BoundaryClient;
  logger: Logger;
  /** Most pollers at once in this process (MAX_POLLERS). A subscription that needs one more is refused. */
  maxPollers: number;
  /** Most pollers one token holds at once (MAX_POLLERS_PER_TOKEN), so one client cannot take every slot. Default: maxPollers. */
  maxPollersPerToken?: number;
  /** Shortest interval a subscription may ask for (SUBSCRIPTION_MIN_INTERVAL_MS); shorter ones are raised to it. */
  minIntervalMs: number;
  /** Interval of a subscription that names none (SUBSCRIPTION_DEFAULT_INTERVAL_MS), raised to the minimum if below. */
  defaultIntervalMs: number;
  /** Most sessions one `sessionsChanged` listing holds (MAX_LIST_ITEMS). */
  maxListItems: number;
  /** Deadline of one poll's upstream calls (REQUEST_TIMEOUT_MS). */
  pollTimeoutMs: number;
  /** Longest wait between polls while the controller fails. Default 60 s. */
  maxBackoffMs?: number;
  /** Where to register the pollers/subscriptions gauges. */
  metrics?: Registry;
  /** With REDIS_URL: one poller per key across processes (see sharing.ts). */
  sharing?: LiveSharing;
}

export interface SessionsChangedParams {
  scopeId: string;
  recursive: boolean;
  filter: string | undefined;
  includeTerminated: boolean;
  intervalMs: number | undefined;
}

export interface LiveRegistry {
  /** Subscribe to a listing's changes. Throws (before any call) on a malformed scope id or at the cap. */
  sessionsChanged(auth: string | undefined, params: SessionsChangedParams): EventStream<SessionsEvent>;
  /** Subscribe to one session's versions. Throws (before any call) on a malformed id or at the cap. */
  sessionUpdated(auth: string | undefined, id: string, intervalMs: number | undefined): EventStream<SessionEvent>;
  /** Pollers running now. */
  readonly pollerCount: number;
  /** Subscribers attached to them now. */
  readonly subscriberCount: number;
  /** Stops every poller and completes every subscription (shutdown). */
  close(): void;
}

/** An interval longer than this is taken as this (setTimeout's range, and a subscription that never polls is useless). */
const MAX_INTERVAL_MS = 3_600_000;

/**
 * The intervals a subscription may get, as multiples of the minimum (500, 1000, 2000, 5000, 10000, 30000
 * and 60000 ms at the default minimum of 500); past the last, whole multiples of it. An asked interval is
 * rounded up to one of them, so subscriptions that differ only by a few milliseconds share a poller
 * instead of each taking a MAX_POLLERS slot.
 */
const INTERVAL_STEPS = [1, 2, 4, 10, 20, 60, 120];

/** Per-token counts are keyed by a digest: the map never holds a token. */
function tokenKey(auth: string | undefined): string {
  return createHash("sha256")
    .update(auth ?? "")
    .digest("base64url");
}

export function createLiveRegistry(options: LiveRegistryOptions): LiveRegistry {
  const pollers = new Map<string, RunningPoller>();
  /** Running pollers per token digest (see tokenKey). */
  const perToken = new Map<string, number>();
  const maxPerToken = options.maxPollersPerToken ?? options.maxPollers;
  let closed = false;

  const deps: PollerDeps = {
    logger: options.logger,
    pollTimeoutMs: options.pollTimeoutMs,
    maxBackoffMs: options.maxBackoffMs ?? 60_000,
    // Pollers share the pollers' part of the list budget: more pollers, longer intervals.
    pace: (intervalMs) => {
      const budget = options.client.listBudget;
      if (!budget) return intervalMs;
      let listing = 0;
      // A follower makes no list call: it takes no share of the budget.
      for (const p of pollers.values()) if (p.kind === "sessionsChanged" && !p.following) listing++;
      return budget.pollIntervalMs(intervalMs, listing);
    },
    onStop(poller) {
      if (pollers.get(poller.key) === poller) {
        pollers.delete(poller.key);
        const holder = tokenKey(poller.auth);
        const left = (perToken.get(holder) ?? 1) - 1;
        if (left > 0) perToken.set(holder, left);
        else perToken.delete(holder);
      }
      options.logger.debug({ field: poller.kind, pollers: pollers.size }, "live poller stopped");
    },
    onRefused(auth: string | undefined, error: BoundaryApiError) {
      // The token is no good anywhere: every poller polling with it would only collect more 401s.
      for (const poller of [...pollers.values()]) {
        if (poller.auth === auth) poller.stop({ kind: "error", error });
      }
    },
  };

  /** A poller's deps: with sharing, its own link to the other processes polling the same key. */
  const linked = (auth: string | undefined, parts: unknown[], intervalMs: number): PollerDeps =>
    options.sharing ? { ...deps, link: options.sharing.link(auth, parts, intervalMs) } : deps;

  const intervalOf = (asked: number | undefined): number => {
    const floor = options.minIntervalMs;
    const wanted = Math.min(Math.max(asked ?? Math.max(options.defaultIntervalMs, floor), floor), MAX_INTERVAL_MS);
    const step = INTERVAL_STEPS.map((n) => n * floor).find((ms) => ms >= wanted);
    const last = INTERVAL_STEPS[INTERVAL_STEPS.length - 1]! * floor;
    return Math.min(step ?? Math.ceil(wanted / last) * last, Math.max(MAX_INTERVAL_MS, floor));
  };

  /**
   * Pollers that count against the caps. Without sharing, every poller; with it, a poller that follows
   * another process's leader makes no upstream call and is left out: the caps bound this process's
   * polling. One that takes over later is not refused, as its subscribers were already admitted.
   */
  const polling = (which: (p: RunningPoller) => boolean = () => true): number => {
    let n = 0;
    for (const p of pollers.values()) if (!p.following && which(p)) n++;
    return n;
  };

  function obtain<P extends RunningPoller>(key: string, auth: string | undefined, create: () => P): P {
    if (closed) throw new LiveRefusalError("UPSTREAM_UNAVAILABLE", "The gateway is shutting down; subscribe again shortly.");
    const existing = pollers.get(key);
    if (existing?.running) return existing as P;
    if (polling() >= options.maxPollers) {
      throw new LiveRefusalError(
        "RATE_LIMITED",
        `This gateway already runs its most live pollers (${options.maxPollers}); retry later, or subscribe with the same arguments as an existing subscription to share its poller.`,
        { retryAfter: null, limit: "MAX_POLLERS" },
      );
    }
    const holder = tokenKey(auth);
    const held = perToken.get(holder) ?? 0;
    if ((options.sharing ? polling((p) => p.auth === auth) : held) >= maxPerToken) {
      throw new LiveRefusalError(
        "RATE_LIMITED",
        `This token already holds its most live pollers (${maxPerToken}); close a subscription, or subscribe with the same arguments as an existing one to share its poller.`,
        { retryAfter: null, limit: "MAX_POLLERS_PER_TOKEN" },
      );
    }
    const poller = create();
    pollers.set(key, poller);
    perToken.set(holder, held + 1);
    // The key holds the token: never logged.
    options.logger.debug({ field: poller.kind, pollers: pollers.size }, "live poller started");
    return poller;
  }

  if (options.metrics) {
    const countBy = (what: (p: RunningPoller) => number) => {
      const counts = new Map<string, number>([
        ["sessionsChanged", 0],
        ["sessionUpdated", 0],
      ]);
      for (const p of pollers.values()) counts.set(p.kind, (counts.get(p.kind) ?? 0) + what(p));
      return counts;
    };
    new Gauge({
      name: "graphql_subscription_pollers",
      help: "Live pollers running (one per token and subscription arguments), by subscription field.",
      labelNames: ["field"] as const,
      registers: [options.metrics],
      collect() {
        for (const [field, n] of countBy(() => 1)) this.set({ field }, n);
      },
    });
    new Gauge({
      name: "graphql_subscriptions",
      help: "Open subscriptions attached to live pollers, by subscription field.",
      labelNames: ["field"] as const,
      registers: [options.metrics],
      collect() {
        for (const [field, n] of countBy((p) => p.subscriberCount)) this.set({ field }, n);
      },
    });
  }

  return {
    sessionsChanged(auth, params) {
      checkScopeId(params.scopeId);
      if (params.filter !== undefined) checkFilter(params.filter);
      const intervalMs = intervalOf(params.intervalMs);
      // Compiled before any call: a filter that does not parse is the caller's mistake.
      const matches = params.filter === undefined ? undefined : compileSessionFilter(params.filter);
      const query = { scopeId: params.scopeId, recursive: params.recursive, filter: params.filter, matches };
      // includeTerminated is not in the key: every poller lists terminated sessions anyway (see
      // sessions-poller.ts), and each subscriber gets its own view of the shared listing.
      const key = JSON.stringify(["sessionsChanged", auth ?? null, query.scopeId, query.recursive, query.filter ?? null, intervalMs]);
      const poller = obtain(
        key,
        auth,
        () =>
          new SessionsPoller(
            key,
            auth,
            intervalMs,
            linked(auth, ["sessionsChanged", query.scopeId, query.recursive, query.filter ?? null], intervalMs),
            options.client,
            query,
            options.maxListItems,
          ),
      );
      return poller.join({ includeTerminated: params.includeTerminated });
    },
    sessionUpdated(auth, id, asked) {
      checkSessionId(id);
      const intervalMs = intervalOf(asked);
      const key = JSON.stringify(["sessionUpdated", auth ?? null, id, intervalMs]);
      const poller = obtain(
        key,
        auth,
        () => new SessionPoller(key, auth, intervalMs, linked(auth, ["sessionUpdated", id], intervalMs), options.client, id),
      );
      return poller.join(undefined);
    },
    get pollerCount() {
      return pollers.size;
    },
    get subscriberCount() {
      let n = 0;
      for (const p of pollers.values()) n += p.subscriberCount;
      return n;
    },
    close() {
      closed = true;
      for (const poller of [...pollers.values()]) poller.stop();
    },
  };
}
