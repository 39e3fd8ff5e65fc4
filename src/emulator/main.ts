/**
 * `npm run emulator`: the emulator as a standalone controller. The only emulator file that reads the
 * environment or handles signals.
 *
 *   PORT (9200, as the controller)  HOST (127.0.0.1)  SEED (1)  SESSIONS (200)  LATENCY_MS (0)
 *   CALL_STATS (off): `1` counts requests by route and serves the counts on a second listener on HOST
 *   (its URL is printed): `GET /_emulator/stats` -> `{ total, byRoute }`; add `?reset=1` to zero them.
 *   For `npm run bench`, which measures upstream calls per operation from another process.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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
  // A long-running demo would otherwise keep every request it ever served (CALL_STATS drains the log).
  callLog: process.env.CALL_STATS === "1",
  prePagination: process.env.PRE_PAGINATION === "1",
});

const { admin, users, scopeLimited } = emulator.tokens;
console.log(`Boundary controller emulator listening on ${emulator.url}`);
for (const t of [admin, ...users, scopeLimited]) {
  console.log(`# ${t.description} (user ${t.userId}, auth token ${t.authTokenId})`);
  console.log(t.token);
}

let stats: { close(): void } | undefined;
if (process.env.CALL_STATS === "1") {
  const byRoute = new Map<string, number>();
  let total = 0;
  // Folds the call log into counts per `METHOD /v1/collection/{id}` and empties it, so it stays small.
  const drain = () => {
    for (const c of emulator.calls) {
      const route = `${c.method} ${c.path.replace(/^(\/v1\/[^/]+)\/[^/:]+/, "$1/{id}")}`;
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
      total++;
    }
    emulator.clearCalls();
  };
  const timer = setInterval(drain, 500);
  timer.unref();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stats.invalid");
    if (req.method !== "GET" || url.pathname !== "/_emulator/stats") {
      res.writeHead(404).end();
      return;
    }
    drain();
    const body = JSON.stringify({ total, byRoute: Object.fromEntries(byRoute) });
    if (url.searchParams.get("reset") === "1") {
      byRoute.clear();
      total = 0;
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(body);
  });
  const host = process.env.HOST?.trim() || "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`Call stats on http://${host.includes(":") ? `[${host}]` : host}:${port}/_emulator/stats`);
  stats = {
    close: () => {
      clearInterval(timer);
      server.closeAllConnections();
      server.close();
    },
  };
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing`);
  stats?.close();
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
