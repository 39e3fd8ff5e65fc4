/**
 * Apollo's persisted-query cache (APQ: hash -> query text) in Redis, so a hash registered through one
 * replica is served by all. Every entry is also kept in a bounded in-process map, which answers while
 * Redis is down or slow: a client whose hash is missing re-sends the query (the APQ protocol's
 * PERSISTED_QUERY_NOT_FOUND), so a miss costs one round trip, never a failed request.
 * The interface is Apollo's KeyValueCache (@apollo/utils.keyvaluecache), structurally.
 */
import type { SharedRedis } from "./redis.js";

export interface StringCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/** How long a registered query stays in Redis when Apollo names no TTL. Clients re-register on a miss. */
const DEFAULT_TTL_S = 24 * 60 * 60;
/** Bytes of query text the in-process copy keeps (oldest dropped first). */
const MEMORY_BYTES = 8 * 1024 * 1024;

export function createApqCache(redis: SharedRedis): StringCache {
  const memory = new Map<string, string>();
  let memoryBytes = 0;
  const remember = (key: string, value: string) => {
    const old = memory.get(key);
    if (old !== undefined) {
      memory.delete(key);
      memoryBytes -= old.length;
    }
    memory.set(key, value);
    memoryBytes += value.length;
    for (const [k, v] of memory) {
      if (memoryBytes <= MEMORY_BYTES) break;
      memory.delete(k);
      memoryBytes -= v.length;
    }
  };
  const redisKey = (key: string) => `${redis.prefix}apq:${key}`;

  return {
    async get(key) {
      if (redis.up()) {
        try {
          const value = await redis.client.get(redisKey(key));
          if (value !== null) return value;
        } catch (err) {
          redis.failed(err);
        }
      }
      return memory.get(key);
    },
    async set(key, value, options) {
      remember(key, value);
      if (!redis.up()) return;
      const ttl = options?.ttl === null ? undefined : (options?.ttl ?? DEFAULT_TTL_S);
      try {
        if (ttl === undefined) await redis.client.set(redisKey(key), value);
        else await redis.client.set(redisKey(key), value, "EX", Math.max(1, Math.ceil(ttl)));
      } catch (err) {
        redis.failed(err);
      }
    },
    async delete(key) {
      const old = memory.get(key);
      if (old !== undefined) memoryBytes -= old.length;
      memory.delete(key);
      if (!redis.up()) return;
      try {
        await redis.client.del(redisKey(key));
      } catch (err) {
        redis.failed(err);
      }
    },
  };
}
