/**
 * The one Redis connection of a gateway process (REDIS_URL), and whether it may be used right now.
 * Redis holds only what replicas share to save the controller work (the list budget, persisted
 * queries); every user of it keeps an in-process fallback, so Redis being down or slow costs sharing,
 * never a request. Loaded with a dynamic import, and only when REDIS_URL is set.
 */
import { createHmac, randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";

export interface SharedRedis {
  readonly client: Redis;
  /** REDIS_PREFIX: every key the gateway writes starts with it. */
  readonly prefix: string;
  /** Whether to use Redis now: connected, and no command timed out in the last few seconds. */
  up(): boolean;
  /** Report a failed command: logged once per outage, and Redis is skipped for a while if it was slow. */
  failed(err: unknown): void;
  /** A keyed hash (HMAC-SHA256) standing for a token in key names: tokens never go to Redis. */
  keyOf(token: string): Promise<string>;
  close(): Promise<void>;
}

export interface RedisOptions {
  url: string;
  prefix: string;
  /** REDIS_KEY_SECRET; unset: one generated and stored in Redis by whichever replica starts first. */
  keySecret: string | undefined;
  logger: Logger;
  /** Longest one command may take before its caller falls back to in-process state. Default 250. */
  commandTimeoutMs?: number;
  /** How long Redis is skipped after a command timed out. Default 5000. */
  slowBackoffMs?: number;
}

export function connectRedis(options: RedisOptions): SharedRedis {
  const { logger, prefix } = options;
  const slowBackoffMs = options.slowBackoffMs ?? 5_000;
  const client = new Redis(options.url, {
    // Fail a command rather than queue it while disconnected: callers fall back at once.
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 250,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    // Reconnect for ever, at most every 2 s, so the gateway returns to Redis when it is back.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  });
  let skipUntil = 0;
  /** Whether the last state logged was "down", so an outage is logged once, not per command. */
  let loggedDown = false;
  const down = (reason: string) => {
    if (loggedDown) return;
    loggedDown = true;
    logger.warn({ reason }, "redis unavailable: shared state falls back to this process until it returns");
  };
  client.on("ready", () => {
    skipUntil = 0;
    if (loggedDown) logger.info("redis is back: state is shared again");
    else logger.info("redis connected: state is shared");
    loggedDown = false;
  });
  // Without a listener ioredis prints every connection error; one line per outage is enough.
  client.on("error", (err: Error) => down(err.message));
  client.on("close", () => down("connection closed"));

  let secret: Promise<string> | undefined;
  const resolveSecret = async (): Promise<string> => {
    if (options.keySecret !== undefined) return options.keySecret;
    // Whichever replica comes first stores one; the others read it, so all hash a token alike.
    const key = `${prefix}key-secret`;
    await client.set(key, randomBytes(32).toString("base64url"), "NX");
    const stored = await client.get(key);
    if (stored === null) throw new Error("redis lost the key secret");
    return stored;
  };

  return {
    client,
    prefix,
    up() {
      if (client.status !== "ready" || Date.now() < skipUntil) return false;
      // Slow, not disconnected: no "ready" event will say it is back.
      if (loggedDown) {
        loggedDown = false;
        logger.info("redis answers again: state is shared again");
      }
      return true;
    },
    failed(err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/timed? ?out/i.test(message)) skipUntil = Date.now() + slowBackoffMs;
      down(message);
    },
    async keyOf(token) {
      secret ??= resolveSecret().catch((err: unknown) => {
        secret = undefined;
        throw err;
      });
      return createHmac("sha256", await secret)
        .update(token)
        .digest("base64url");
    },
    async close() {
      client.disconnect();
    },
  };
}
