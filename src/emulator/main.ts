/**
 * `npm run emulator`: the emulator as a standalone controller. The only emulator file that reads the
 * environment or handles signals.
 *
 *   PORT (9200, as the controller)  HOST (127.0.0.1)  SEED (1)  SESSIONS (200)  LATENCY_MS (0)
 */
import { startEmulator } from "./index.js";

function intVar(name: string, def: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === "") return def;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

const emulator = await startEmulator({
  port: intVar("PORT", 9200, 0, 65535),
  host: process.env.HOST?.trim() || "127.0.0.1",
  seed: intVar("SEED", 1, 0, 2 ** 32 - 1),
  sessions: intVar("SESSIONS", 200, 0, 5_000_000),
  latencyMs: intVar("LATENCY_MS", 0, 0, 600_000),
  // A long-running demo would otherwise keep every request it ever served.
  callLog: false,
});

const { admin, users, scopeLimited } = emulator.tokens;
console.log(`Boundary controller emulator listening on ${emulator.url}`);
for (const t of [admin, ...users, scopeLimited]) {
  console.log(`# ${t.description} (user ${t.userId}, auth token ${t.authTokenId})`);
  console.log(t.token);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing`);
  emulator.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
