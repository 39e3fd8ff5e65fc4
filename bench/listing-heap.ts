/**
 * `npm run listing-heap`: how much a whole listing of 10,000 sessions holds while it runs, with
 * PAGED_LISTINGS on and off. RSS cannot tell (it counts garbage V8 has not collected yet), so this runs
 * the emulator and two gateways in one process started with --expose-gc, sends one whole listing at a
 * time, alternating between the gateways, and every 10 ms forces a full GC and reads the heap used: the
 * largest of those readings above the idle heap is what the listing held at its peak. The emulator's
 * own work is in the same heap and the same for both.
 */
import { loadConfig } from "../src/config.js";
import { startEmulator } from "../src/emulator/index.js";
import { startGateway } from "../src/server.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run listing-heap)");
const emulator = await startEmulator({ port: 0, sessions: 10_000, callLog: false });
const env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", BOUNDARY_ADDR: emulator.url, NODE_ENV: "production" };
const gateways = {
  paged: await startGateway(loadConfig({ ...env, PAGED_LISTINGS: "true" })),
  whole: await startGateway(loadConfig({ ...env, PAGED_LISTINGS: "false" })),
};
const query = "{ sessions(includeTerminated: true) { items { id status userId createdTime scope { name } } } }";
const MiB = 1024 * 1024;

function heap(): number {
  gc!();
  return process.memoryUsage().heapUsed;
}

async function once(url: string): Promise<{ peak: number; bytes: number; ms: number }> {
  const idle = heap();
  let peak = idle;
  const timer = setInterval(() => (peak = Math.max(peak, heap())), 10);
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${emulator.tokens.admin.token}` },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  clearInterval(timer);
  if (res.status !== 200 || JSON.parse(text).data.sessions.items.length !== 10_000) throw new Error(`unexpected answer ${res.status}`);
  return { peak: (peak - idle) / MiB, bytes: text.length, ms };
}

const rounds = Number(process.argv[2] ?? 5);
const seen: Record<string, number[]> = { paged: [], whole: [] };
for (let round = 0; round < rounds; round++) {
  for (const [name, gateway] of Object.entries(gateways)) {
    const r = await once(gateway.url);
    seen[name]!.push(r.peak);
    console.log(
      `round ${round} ${name}: held at most ${r.peak.toFixed(1)} MiB above idle (answer ${(r.bytes / MiB).toFixed(1)} MiB, ${r.ms.toFixed(0)} ms with GCs)`,
    );
  }
}
for (const [name, peaks] of Object.entries(seen)) {
  const sorted = [...peaks].sort((a, b) => a - b);
  console.log(
    `${name}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} MiB, range ${sorted[0]!.toFixed(1)}-${sorted.at(-1)!.toFixed(1)} MiB`,
  );
}
await Promise.all(Object.values(gateways).map((g) => g.stop()));
await emulator.close();
