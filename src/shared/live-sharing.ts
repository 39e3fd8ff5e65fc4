/**
 * One poller per subscription key across processes, through Redis (see src/live/sharing.ts and
 * docs/scaling.md). Per key, named after a keyed hash of the token and the arguments, never the token:
 *
 * - `<prefix>live:<id>:lease`: the leader's random id, `SET NX PX` one interval (at least
 *   `LEASE_FLOOR_MS`). While a link leads, a timer of its own renews it every third of its length
 *   (and the claim before each poll renews it too), through a script that only the holder passes;
 * - `<prefix>live:<id>:state`: a hash of `seq` and `body` (the JSON of the state a successor continues
 *   from), written by the holder only;
 * - `<prefix>live:<id>:events`: the channel on which the holder announces each state that told
 *   subscribers something, received on a second connection (a subscribed connection runs no commands).
 *
 * Takeover within two intervals. A follower claims every half interval and, on taking the lease, polls
 * at once. A leader that lets go deletes the lease, so a follower leads within half an interval. One
 * that dies renewed last before its death, so its lease lapses at most one lease length later, and a
 * follower's next claim comes at most half an interval after that: one and a half intervals after the
 * death, the other half left for a late timer or a slow round trip. (Below the floor: the floor plus
 * half an interval.) The renewal runs on its own timer, not before each poll, because a poll may take
 * longer than the lease (a slow controller, backoff, a stretched interval) and its leader must keep it.
 * A leader whose renewals stop anyway (its event loop stalled for two thirds of the lease) has lost the
 * key: its next store fails the holder check, so it neither stores nor publishes, and it follows.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import type { SharedRedis } from "./redis.js";

// The shapes of src/live/sharing.ts, which this layer may not import: server.ts hands this object to the
// live registry, and the compiler checks there that the two agree.
interface SharedState {
  seq: number;
  state: unknown;
}
interface Claim {
  role: "lead" | "follow" | "local";
  seq: number;
  stored?: SharedState;
}
interface SharedLink {
  claim(knownSeq: number, wantState: boolean): Promise<Claim>;
  store(shared: SharedState, announce: boolean): Promise<"stored" | "lost" | "failed">;
  listen(onState: (shared: SharedState) => void): void;
  release(): void;
  readonly followEveryMs: number;
}

/** Shortest lease. A shorter one could lapse between renewals under ordinary delays (a garbage
 * collection, a busy event loop, the 250 ms command deadline); the default shortest interval is 500 ms,
 * so every interval the default configuration allows keeps the two-interval bound. */
const LEASE_FLOOR_MS = 500;

/** KEYS: lease, state. ARGV: holder id, lease ms, state ms, caller's seq, whether to return the state on
 * taking the lease (else only a newer one: followers are not sent the same state every interval). */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
local role = 'follow'
local took = false
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  role = 'lead'
elseif not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  role = 'lead'
  took = true
end
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if seq > 0 and ((took and ARGV[5] == '1') or seq > tonumber(ARGV[4])) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {role, seq, redis.call('HGET', KEYS[2], 'body')}
end
return {role, seq}
`;

/** KEYS: lease, state, channel. ARGV: holder id, seq, body, state ms, whether to publish. */
const STORE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[5] == '1' then redis.call('PUBLISH', KEYS[3], ARGV[3]) end
return 1
`;

/** KEYS: lease. ARGV: holder id, lease ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS: lease. ARGV: holder id. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface Names {
  lease: string;
  state: string;
  channel: string;
}

export interface RedisLiveSharing {
  link(auth: string | undefined, parts: readonly unknown[], intervalMs: number): SharedLink;
  close(): Promise<void>;
}

export function createLiveSharing(redis: SharedRedis, logger: Logger): RedisLiveSharing {
  const { client, prefix } = redis;
  // Subscribed connections run no other commands; this one only listens, and re-subscribes by itself
  // after a reconnect (ioredis's autoResubscribe).
  const listener: Redis = client.duplicate();
  listener.on("error", () => undefined);
  const handlers = new Map<string, Set<(shared: SharedState) => void>>();
  listener.on("message", (channel: string, body: string) => {
    const set = handlers.get(channel);
    if (set === undefined) return;
    let shared: SharedState;
    try {
      shared = JSON.parse(body) as SharedState;
    } catch {
      return;
    }
    for (const handler of set) handler(shared);
  });
  // A subscription that failed while Redis was away is made again once it is back.
  listener.on("ready", () => {
    const channels = [...handlers.keys()];
    if (channels.length > 0) listener.subscribe(...channels).catch(() => undefined);
  });

  const listen = (channel: string, handler: (shared: SharedState) => void): void => {
    let set = handlers.get(channel);
    if (set === undefined) {
      handlers.set(channel, (set = new Set()));
      // Messages lost meanwhile are made up by the claim, which returns a newer stored state.
      if (listener.status === "ready") listener.subscribe(channel).catch(() => undefined);
    }
    set.add(handler);
  };
  const unlisten = (channel: string, handler: (shared: SharedState) => void): void => {
    const set = handlers.get(channel);
    if (set === undefined || !set.delete(handler) || set.size > 0) return;
    handlers.delete(channel);
    if (listener.status === "ready") listener.unsubscribe(channel).catch(() => undefined);
  };

  return {
    link(auth, parts, intervalMs): SharedLink {
      const me = randomUUID();
      const leaseMs = Math.max(intervalMs, LEASE_FLOOR_MS);
      // Long enough for a successor to find it after the lease lapsed; gone soon after nobody polls.
      const stateMs = Math.max(10 * intervalMs, 60_000);
      let names: Promise<Names> | undefined;
      let handler: ((shared: SharedState) => void) | undefined;
      let released = false;
      /** Renews the lease while the last word from Redis was that this link holds it. */
      let renewal: NodeJS.Timeout | undefined;
      let renewing = false;
      const stopRenewing = () => {
        clearInterval(renewal);
        renewal = undefined;
      };
      const renew = (): void => {
        if (renewing) return;
        // Redis skipped or away: the poller's next claim answers "local", and no renewal would land.
        if (!redis.up()) return stopRenewing();
        renewing = true;
        namesOf()
          .then((n) => client.eval(RENEW, 1, n.lease, me, leaseMs))
          .then(
            (held) => {
              // Another process took the key meanwhile: the poller finds out at its next claim or store.
              if (held !== 1) stopRenewing();
            },
            (err: unknown) => {
              stopRenewing();
              redis.failed(err);
            },
          )
          .finally(() => (renewing = false));
      };
      const leading = (lead: boolean): void => {
        if (!lead || released) return stopRenewing();
        if (renewal !== undefined) return;
        renewal = setInterval(renew, Math.floor(leaseMs / 3));
        // Whether the process lives is for its servers and sockets to decide, not for a lease.
        renewal.unref();
      };
      const namesOf = (): Promise<Names> =>
        (names ??= redis.keyOf(auth ?? "").then(
          (tokenHash) => {
            const id = createHash("sha256")
              .update(JSON.stringify([tokenHash, ...parts, intervalMs]))
              .digest("base64url");
            const base = `${prefix}live:${id}`;
            const named = { lease: `${base}:lease`, state: `${base}:state`, channel: `${base}:events` };
            if (handler !== undefined && !released) listen(named.channel, handler);
            return named;
          },
          (err: unknown) => {
            names = undefined;
            throw err;
          },
        ));
      return {
        followEveryMs: Math.max(1, Math.floor(intervalMs / 2)),
        async claim(knownSeq, wantState): Promise<Claim> {
          if (!redis.up()) {
            leading(false);
            return { role: "local", seq: 0 };
          }
          try {
            const n = await namesOf();
            const [role, seq, body] = (await client.eval(
              CLAIM,
              2,
              n.lease,
              n.state,
              me,
              leaseMs,
              stateMs,
              knownSeq,
              wantState ? "1" : "0",
            )) as ["lead" | "follow", number, string | undefined];
            leading(role === "lead");
            return { role, seq, ...(body === undefined ? {} : { stored: JSON.parse(body) as SharedState }) };
          } catch (err) {
            leading(false);
            redis.failed(err);
            return { role: "local", seq: 0 };
          }
        },
        async store(shared, announce) {
          if (!redis.up()) {
            leading(false);
            return "failed";
          }
          try {
            const n = await namesOf();
            const body = JSON.stringify(shared);
            const ok = await client.eval(STORE, 3, n.lease, n.state, n.channel, me, shared.seq, body, stateMs, announce ? "1" : "0");
            if (ok !== 1) leading(false);
            return ok === 1 ? "stored" : "lost";
          } catch (err) {
            leading(false);
            redis.failed(err);
            return "failed";
          }
        },
        listen(onState) {
          handler = onState;
        },
        release() {
          if (released) return;
          released = true;
          stopRenewing();
          void names?.then(
            (n) => {
              if (handler !== undefined) unlisten(n.channel, handler);
              // Without this the others would wait for the lease to lapse before one takes over.
              if (redis.up()) client.eval(RELEASE, 1, n.lease, me).catch((err: unknown) => redis.failed(err));
            },
            () => undefined,
          );
        },
      };
    },
    async close() {
      logger.debug({ channels: handlers.size }, "live sharing closed");
      listener.disconnect();
    },
  };
}
