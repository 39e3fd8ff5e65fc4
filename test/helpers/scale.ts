/**
 * The upstream of a scale-out test file: one emulator (20 sessions) and one real redis-server, started
 * before its tests and stopped after, shared by the replicas each test starts.
 */
import { afterAll, beforeAll } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { startRedis, type RedisServer } from "./redis.js";

export interface SharedUpstream {
  readonly redis: RedisServer;
  readonly emulator: Emulator;
}

/** Registers the file's `beforeAll`/`afterAll`; read the fields inside tests and hooks. */
export function sharedUpstream(): SharedUpstream {
  const up = {} as { redis: RedisServer; emulator: Emulator };
  beforeAll(async () => {
    up.redis = await startRedis();
    up.emulator = await startEmulator({ port: 0, sessions: 20 });
  });
  afterAll(async () => {
    await up.emulator?.close();
    await up.redis?.close();
  });
  return up;
}
