/**
 * The gateway's own quota of list calls to the controller. Every caller reaches the controller from the
 * gateway's one address, and the controller allows `session:list` 1500 calls per IP and 1500 in total per
 * 30 s (internal/ratelimit/config.go): without a budget of its own, many pollers would spend that quota
 * and CLI, desktop and admin UI users would get 429s. Shared by queries and pollers; pollers yield first
 * (they may use only `pollShare` of it, and the registry stretches their interval, see `pollIntervalMs`).
 * The controller's `RateLimit` header is read too, so the gateway slows down before it gets a 429.
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { BoundaryBudgetError } from "./errors.js";

export interface ListBudgetOptions {
  /** List calls per window (UPSTREAM_LIST_BUDGET). */
  points: number;
  /** Window length in seconds. Default 30, the controller's list period. */
  windowS?: number;
  /** Part of the budget pollers may use; the rest is kept for queries. Default 0.5. */
  pollShare?: number;
  /** Builds the limiter that counts the calls; default `createListLimiter` (this process only). A
   * deployment with replicas passes one whose store they share (src/shared/limiter.ts). */
  createLimiter?: (points: number, windowS: number) => RateLimiterAbstract;
}

/** Who asks: a GraphQL query (gets the whole budget) or a live poller (yields first). */
export type ListLane = "query" | "poll";

export interface ListBudgetState {
  points: number;
  /** Calls taken in the current window. */
  used: number;
  /** Calls refused since start, by lane. */
  refused: Record<ListLane, number>;
}

export interface ListBudget {
  /** Take one list call, or throw BoundaryBudgetError (with the seconds to wait); never waits. */
  take(lane: ListLane): Promise<void>;
  /** The interval a poller should keep, at least `intervalMs`: `pollers` share the pollers' part of
   * the budget, and none polls while the controller's own quota runs low. */
  pollIntervalMs(intervalMs: number, pollers: number): number;
  /** Read the controller's `RateLimit`/`RateLimit-Policy` headers of a list answer. */
  observe(rateLimit: string | undefined, policy: string | undefined): void;
  state(): ListBudgetState;
}

const KEY = "boundary:list";

/**
 * The limiter of one process. Replicas share theirs instead through `ListBudgetOptions.createLimiter`
 * (the same options, rate-limiter-flexible's Redis store), injected so this folder stays free of Redis.
 */
export function createListLimiter(points: number, windowS: number): RateLimiterAbstract {
  return new RateLimiterMemory({ keyPrefix: "gateway", points, duration: windowS });
}

export function createListBudget(options: ListBudgetOptions): ListBudget {
  const windowS = options.windowS ?? 30;
  const points = options.points;
  const pollCap = Math.max(1, Math.floor(points * (options.pollShare ?? 0.5)));
  const limiter = (options.createLimiter ?? createListLimiter)(points, windowS);
  const refused: Record<ListLane, number> = { query: 0, poll: 0 };
  /** Calls taken in the window that ends at `windowEnds` (epoch ms), as of the last take. */
  let used = 0;
  let windowEnds = 0;
  /** Epoch ms until which the controller's own quota is low: polls wait, and queries when it is spent. */
  let lowUntil = 0;
  let spentUntil = 0;

  const refuse = (lane: ListLane, ms: number): never => {
    refused[lane]++;
    throw new BoundaryBudgetError(Math.max(1, Math.ceil(ms / 1000)));
  };

  return {
    async take(lane) {
      const now = Date.now();
      if (now < spentUntil) refuse(lane, spentUntil - now);
      if (lane === "poll") {
        if (now < lowUntil) refuse(lane, lowUntil - now);
        const current = await limiter.get(KEY);
        if (current && current.consumedPoints >= pollCap) refuse(lane, current.msBeforeNext);
      }
      try {
        const res = await limiter.consume(KEY, 1);
        used = res.consumedPoints;
        windowEnds = Date.now() + res.msBeforeNext;
      } catch (err) {
        if (err instanceof RateLimiterRes) refuse(lane, err.msBeforeNext);
        throw err;
      }
    },
    pollIntervalMs(intervalMs, pollers) {
      // Each poll is about one list call: `pollers` polls per interval must fit the pollers' part.
      const paced = Math.ceil((windowS * 1000 * Math.max(1, pollers)) / pollCap);
      const low = Math.max(0, lowUntil - Date.now());
      return Math.max(intervalMs, paced, low);
    },
    observe(rateLimit, policy) {
      const quota = parseRateLimit(rateLimit);
      if (!quota) return;
      // The tightest quota is reported. A token's own quota concerns only that token (its calls get
      // their 429); only the per-IP and total quotas are the whole gateway's.
      const kinds = parsePolicy(policy)
        .filter((p) => p.limit === quota.limit)
        .map((p) => p.comment);
      if (kinds.length > 0 && kinds.every((k) => k === "auth-token")) return;
      const resetAt = Date.now() + quota.reset * 1000;
      if (quota.remaining <= Math.max(1, Math.floor(quota.limit * 0.2))) lowUntil = resetAt;
      if (quota.remaining <= Math.max(1, Math.floor(quota.limit * 0.02))) spentUntil = resetAt;
    },
    state: () => ({ points, used: Date.now() < windowEnds ? used : 0, refused: { ...refused } }),
  };
}

/** `limit=150, remaining=149, reset=30` (internal/ratelimit, go-rate's usage header). */
export function parseRateLimit(value: string | undefined): { limit: number; remaining: number; reset: number } | undefined {
  if (value === undefined) return undefined;
  const fields = new Map<string, number>();
  for (const part of value.split(",")) {
    const m = /^\s*(limit|remaining|reset)=(\d+)\s*$/.exec(part);
    if (m) fields.set(m[1]!, Number(m[2]));
  }
  const limit = fields.get("limit");
  const remaining = fields.get("remaining");
  const reset = fields.get("reset");
  return limit === undefined || remaining === undefined || reset === undefined ? undefined : { limit, remaining, reset };
}

/** `150;w=30;comment="auth-token", 1500;w=30;comment="ip-address", …`. */
export function parsePolicy(value: string | undefined): { limit: number; comment: string }[] {
  if (value === undefined) return [];
  const out: { limit: number; comment: string }[] = [];
  for (const part of value.split(",")) {
    const m = /^\s*(\d+)\s*;.*comment="([^"]*)"/.exec(part);
    if (m) out.push({ limit: Number(m[1]), comment: m[2]! });
  }
  return out;
}
