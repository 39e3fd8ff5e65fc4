/**
 * The in-process Boundary controller emulator: `startEmulator()` seeds deterministic demo data and
 * serves the controller's session, scope and related read endpoints over real HTTP(S).
 */
import type { AddressInfo } from "node:net";
import { Faults } from "./faults.js";
import { Handlers } from "./handlers.js";
import { RateLimiter } from "./ratelimit.js";
import { seedWorld } from "./seed.js";
import { createEmulatorServer } from "./server.js";
import { Store } from "./store.js";
import { Clock } from "./time.js";
import type { CallRecord, Emulator, EmulatorOptions } from "./types.js";

export type * from "./types.js";

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const host = opts.host ?? "127.0.0.1";
  const startTime = opts.startTime ?? Date.now();
  const count = (name: keyof EmulatorOptions, value: number | undefined, def: number, min = 0): number => {
    const v = value ?? def;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`startEmulator: ${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const world = seedWorld({
    seed: opts.seed ?? 1,
    orgs: count("orgs", opts.orgs, 2),
    projectsPerOrg: count("projectsPerOrg", opts.projectsPerOrg, 2),
    users: count("users", opts.users, 3),
    sessions: count("sessions", opts.sessions, 200),
    startTimeMs: startTime,
  });
  const clock = new Clock(startTime);
  const store = new Store(world, clock, { cancelDelayMs: opts.cancelDelayMs ?? 5000 });
  clock.onAdvance = () => store.applyDue();

  const handlers = new Handlers(store, count("maxPageSize", opts.maxPageSize, 1000, 1), opts.prePagination ?? false);
  const faults = new Faults(opts.latencyMs ?? 0);
  const calls: CallRecord[] = [];
  const rateLimiter = opts.rateLimit ? new RateLimiter(opts.rateLimit === true ? {} : opts.rateLimit, () => clock.now()) : undefined;
  const { server, close } = createEmulatorServer({
    store,
    handlers,
    faults,
    rateLimiter,
    calls,
    callLog: opts.callLog ?? true,
    tls: opts.tls,
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;

  return {
    url: `${opts.tls ? "https" : "http"}://${hostPart}:${port}`,
    tokens: store.tokens,
    calls,
    clearCalls() {
      calls.length = 0;
    },
    faults,
    clock: {
      now: () => clock.now(),
      advance: (ms) => clock.advance(ms),
    },
    store: store.api(),
    close() {
      closed ??= close();
      return closed;
    },
  };
}
