/**
 * `npm run soak`: minutes of mixed load on the gateway with upstream faults injected, then a report of
 * requests, errors by extensions.code, and the gateway's RSS at start and end (flat memory is the bar).
 *
 * The emulator runs in this process (so faults can be injected); the gateway runs as a separate
 * process, as in production, so its memory is measured alone. Only 127.0.0.1 is contacted; every loop
 * is bounded by SOAK_SECONDS.
 *
 * The gateway runs with `--max-old-space-size=SOAK_HEAP_MIB`, the heap limit the Dockerfile sets for its
 * documented 512 MiB container (docs/performance.md, "Sizing memory"), so the RSS series below shows where
 * memory settles under that limit rather than how far V8 lets an unlimited heap grow before collecting.
 *
 * Knobs: SOAK_SECONDS (default 180), SOAK_CONNECTIONS (default 16), SOAK_SESSIONS (default 5000),
 * SOAK_HEAP_MIB (default 256).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { startEmulator } from "../src/emulator/index.js";

const seconds = Number(process.env.SOAK_SECONDS ?? 180);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 16);
const sessions = Number(process.env.SOAK_SESSIONS ?? 5000);
const heapMiB = Number(process.env.SOAK_HEAP_MIB ?? 256);
const root = fileURLToPath(new URL("..", import.meta.url));

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: 0, sessions, seed: 42, callLog: false, cancelDelayMs: 2_000 });
  const port = await freePort();
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMiB}`, "--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      BOUNDARY_ADDR: emulator.url,
      UPSTREAM_TIMEOUT_MS: "1000",
      REQUEST_TIMEOUT_MS: "3000",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await emulator.close();
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));

  const url = `http://127.0.0.1:${port}`;
  await waitForGateway(url);
  const pool = new Pool(url, { connections });
  const admin = emulator.tokens.admin.token;
  const users = emulator.tokens.users.map((u) => u.token);
  const ids = emulator.store
    .sessions()
    .slice(0, 500)
    .map((s) => s.id);

  const operations: { name: string; token: () => string; query: () => string }[] = [
    {
      name: "read",
      token: () => admin,
      query: () => `{ session(id: "${pick(ids)}") { id status version states { status } connections { bytesUp } } }`,
    },
    {
      name: "page",
      token: () => admin,
      query: () => `{ sessions(first: 50) { items { id status scope { name parent { name } } } hasNextPage } }`,
    },
    {
      name: "user-page",
      token: () => pick(users),
      query: () => `{ sessions(first: 20, includeTerminated: true) { items { id status } } }`,
    },
    {
      name: "filtered",
      token: () => admin,
      query: () => `{ sessions(first: 100, filter: "\\"/item/status\\" == \\"active\\"") { items { id } } }`,
    },
    { name: "refused", token: () => admin, query: () => `{ sessions { items { connections { bytesUp } } } }` },
  ];

  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const rssStart = rssKiB(child.pid!);
  const samples: number[] = [rssStart];
  const deadline = Date.now() + seconds * 1000;

  // Faults every 2 s: resets, 503s, 429s with Retry-After, latency spikes, malformed bodies.
  const faults = setInterval(() => {
    const r = Math.random();
    if (r < 0.2) emulator.faults.add({ kind: "reset", times: 3 });
    else if (r < 0.4) emulator.faults.add({ kind: "status", status: 503, times: 4 });
    else if (r < 0.5) emulator.faults.add({ kind: "status", status: 429, retryAfter: 1, times: 2 });
    else if (r < 0.6) emulator.faults.add({ kind: "latency", ms: 1_500, times: 2 });
    else if (r < 0.7) emulator.faults.add({ kind: "malformed", times: 1 });
  }, 2_000);
  const sampler = setInterval(() => samples.push(rssKiB(child.pid!)), 5_000);

  let total = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const op = pick(operations);
      total++;
      try {
        const res = await pool.request({
          method: "POST",
          path: "/graphql",
          headers: { "content-type": "application/json", authorization: `Bearer ${op.token()}` },
          body: JSON.stringify({ query: op.query() }),
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const body = (await res.body.json()) as { errors?: { extensions?: { code?: string } }[] };
        if (!body.errors?.length) count(`${op.name} ok`);
        for (const e of body.errors ?? []) count(`${op.name} ${e.extensions?.code ?? "?"}`);
      } catch (err) {
        count(`${op.name} transport:${(err as { code?: string }).code ?? "error"}`);
      }
    }
  };
  console.log(`soak: ${seconds}s, ${connections} connections, gateway pid ${child.pid}, RSS at start ${Math.round(rssStart / 1024)} MiB`);
  await Promise.all(Array.from({ length: connections }, worker));
  clearInterval(faults);
  clearInterval(sampler);
  const rssEnd = rssKiB(child.pid!);
  samples.push(rssEnd);
  await pool.close();
  await stop();

  console.log(`\nrequests: ${total} (${Math.round(total / seconds)}/s)`);
  console.log("outcomes by operation and code:");
  for (const [key, n] of [...counts].sort()) console.log(`  ${key.padEnd(40)} ${n}`);
  const mid = samples[Math.floor(samples.length / 2)]!;
  console.log(
    `\ngateway RSS (MiB): start ${(rssStart / 1024).toFixed(1)}, middle ${(mid / 1024).toFixed(1)}, end ${(rssEnd / 1024).toFixed(1)}, max ${(Math.max(...samples) / 1024).toFixed(1)}`,
  );
  console.log(`growth from the middle of the run to its end: ${(((rssEnd - mid) / mid) * 100).toFixed(1)}%`);
  console.log(`RSS every 5 s (MiB): ${samples.map((k) => Math.round(k / 1024)).join(" ")}`);
  // Settled: the last third of the run peaks no higher than the middle third did (plus 5% for noise).
  const third = Math.max(1, Math.floor(samples.length / 3));
  const midMax = Math.max(...samples.slice(third, 2 * third));
  const lastMax = Math.max(...samples.slice(2 * third));
  console.log(
    `heap limit ${heapMiB} MiB; peak of the middle third ${(midMax / 1024).toFixed(0)} MiB, of the last third ${(lastMax / 1024).toFixed(0)} MiB: ` +
      (lastMax <= midMax * 1.05 ? "settled" : "still growing"),
  );
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

/** A port that was free a moment ago (the gateway logs its URL only at info, and runs at warn here). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForGateway(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      /* not listening yet */
    }
  }
  throw new Error("gateway did not start in 15 s");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
