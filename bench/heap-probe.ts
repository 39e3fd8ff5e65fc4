/**
 * `npm run heap-probe`: is memory flat under load? RSS alone cannot tell (V8 grows its heap lazily), so
 * this runs the emulator and a gateway in one process started with --expose-gc, sends six bursts of
 * 5,000 mixed requests, and prints the heap used after a forced full GC following each burst. A leak
 * shows as a heap that grows burst after burst.
 */
import { loadConfig } from "../src/config.js";
import { startEmulator } from "../src/emulator/index.js";
import { startGateway } from "../src/server.js";
import { Pool } from "undici";
const emulator = await startEmulator({ port: 0, sessions: 2000, callLog: false });
const gw = await startGateway(
  loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", BOUNDARY_ADDR: emulator.url, NODE_ENV: "production" }),
);
const pool = new Pool(gw.url, { connections: 16 });
const token = emulator.tokens.admin.token;
const ids = emulator.store
  .sessions()
  .slice(0, 300)
  .map((s) => s.id);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run heap-probe)");
async function burst(n: number) {
  let i = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (i < n) {
        i++;
        const q =
          i % 2
            ? `{ session(id: "${ids[i % ids.length]}") { id status connections { bytesUp } } }`
            : `{ sessions(first: 50) { items { id scope { name parent { name } } } } }`;
        const res = await pool.request({
          method: "POST",
          path: "/graphql",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: q }),
        });
        await res.body.text();
      }
    }),
  );
}
for (let round = 0; round < 6; round++) {
  await burst(5000);
  await new Promise((r) => setTimeout(r, 100));
  gc();
  gc();
  const m = process.memoryUsage();
  console.log(
    `round ${round}: heapUsed ${(m.heapUsed / 1048576).toFixed(1)} MiB, rss ${(m.rss / 1048576).toFixed(1)} MiB, ext ${(m.external / 1048576).toFixed(1)}`,
  );
}
await pool.close();
await gw.stop();
await emulator.close();
