/**
 * The one factory of rate limiters. Without Redis a limiter counts in this process (RateLimiterMemory);
 * with Redis it counts across every replica and worker (RateLimiterRedis), and an in-memory limiter of
 * the same size takes over for any call Redis fails or is offline for, so a Redis outage never refuses
 * or fails a request by itself.
 */
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { SharedRedis } from "./redis.js";

export interface LimiterOptions {
  /** Points per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
  /** Names the limiter's keys; two limiters with the same prefix share their counts. */
  keyPrefix: string;
}

export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;

export function createLimiterFactory(redis: SharedRedis | undefined): LimiterFactory {
  return (options) => {
    const memory = new RateLimiterMemory(options);
    if (!redis) return memory;
    return new RateLimiterRedis({
      ...options,
      storeClient: redis.client,
      keyPrefix: `${redis.prefix}limit:${options.keyPrefix}`,
      // With the offline queue off ioredis rejects at once; this skips even that while it reconnects.
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
}
