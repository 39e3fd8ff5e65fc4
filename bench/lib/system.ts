/** The system under test: the emulator, the gateway and the reference proxy, as separate processes. */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import {
  type Child,
  HOST,
  ROOT,
  freePort,
  httpGet,
  loopbackOnly,
  sleep,
  spawnChild,
  stopChild,
  waitForLine,
  waitHealthy,
} from "./processes.js";
import type { Settings } from "./settings.js";
import type { Baseline } from "./baseline.js";

export interface System {
  latencyMs: number;
  /** performance.now() when the gateway was spawned: CPU profiles count from about then. */
  gatewaySpawnedAt: number;
  /** Measured rounds (warm-ups and checks excluded), in ms since gatewaySpawnedAt. */
  measured: { fromMs: number; toMs: number } | undefined;
  emulator: Child;
  gateway: Child;
  proxy: Child;
  /** The `--baseline` build's gateway, same settings, same emulator. */
  baseline: { child: Child; url: string; label: string } | undefined;
  emulatorUrl: string;
  gatewayUrl: string;
  proxyUrl: string;
  statsUrl: string;
  token: string;
}

export async function build(): Promise<void> {
  console.log("building: npm run build (tsc -p tsconfig.build.json) ...");
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "-s", "build"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
  });
  if (r.status !== 0) {
    throw new Error(
      `npm run build failed (status ${r.status}); fix it, or run the gateway through tsx with --tsx:\n${r.stdout}${r.stderr}`,
    );
  }
}

export async function startSystem(s: Settings, latencyMs: number, baselineBuild?: Baseline): Promise<System> {
  const viaTsx = (file: string) => ["--import", "tsx", file];
  const emulator = spawnChild("emulator", s.mode === "dist" ? ["dist/emulator/main.js"] : viaTsx("src/emulator/main.ts"), {
    PORT: "0",
    HOST,
    SEED: "1",
    SESSIONS: String(s.sessions),
    LATENCY_MS: String(latencyMs),
    CALL_STATS: "1",
  });
  const emulatorUrl = loopbackOnly((await waitForLine(emulator, /listening on (http:\/\/\S+)/, 120_000))[1]!);
  const statsUrl = loopbackOnly((await waitForLine(emulator, /^Call stats on (http:\/\/\S+)/, 10_000))[1]!);
  await waitForLine(emulator, /^at_\w+$/, 10_000);
  // The first token printed is the admin's (see src/emulator/main.ts).
  const admin = emulator.tail.findIndex((l) => l.startsWith("# admin"));
  const token = emulator.tail[admin + 1];
  if (admin < 0 || !token?.startsWith("at_")) throw new Error(`no admin token in the emulator's output:\n  ${emulator.tail.join("\n  ")}`);

  const gatewayPort = await freePort();
  const gatewaySpawnedAt = performance.now();
  const profArgs = [...s.gatewayNodeArgs, ...(s.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(s.cpuProfDir)}`] : [])];
  const gatewayEnv = (port: number) => ({
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    HOST,
    PORT: String(port),
    BOUNDARY_ADDR: emulatorUrl,
    // The whole listing of scenario 3 must fit (and end COMPLETE).
    MAX_LIST_ITEMS: String(Math.min(1_000_000, Math.max(10_000, s.sessions + 1_000))),
  });
  const gateway = spawnChild(
    "gateway",
    [...profArgs, ...(s.mode === "dist" ? ["dist/main.js"] : viaTsx("src/main.ts"))],
    gatewayEnv(gatewayPort),
  );
  const gatewayUrl = `http://${HOST}:${gatewayPort}`;
  let baseline: System["baseline"];
  if (baselineBuild) {
    const port = await freePort();
    const child = spawnChild("baseline", [...s.gatewayNodeArgs, baselineBuild.main], gatewayEnv(port));
    baseline = { child, url: `http://${HOST}:${port}`, label: `baseline ${baselineBuild.ref} (${baselineBuild.commit.slice(0, 8)})` };
  }

  const proxyPort = await freePort();
  const proxy = spawnChild("proxy", viaTsx("bench/proxy.ts"), { HOST, PORT: String(proxyPort), BOUNDARY_ADDR: emulatorUrl });
  const proxyUrl = `http://${HOST}:${proxyPort}`;

  await waitHealthy(gateway, `${gatewayUrl}/healthz`, 60_000);
  await waitHealthy(proxy, `${proxyUrl}/healthz`, 60_000);
  if (baseline) await waitHealthy(baseline.child, `${baseline.url}/healthz`, 60_000);
  return {
    latencyMs,
    gatewaySpawnedAt,
    measured: undefined,
    emulator,
    gateway,
    proxy,
    baseline,
    emulatorUrl,
    gatewayUrl,
    proxyUrl,
    statsUrl,
    token,
  };
}

export async function stopSystem(sys: System): Promise<void> {
  for (const c of [sys.proxy, sys.gateway, ...(sys.baseline ? [sys.baseline.child] : []), sys.emulator]) await stopChild(c);
}

/**
 * Waits until the controller has seen no call for 150 ms (at most 10 s): when autocannon stops, the
 * gateway still finishes the requests it had accepted, and their calls must not count for the next run.
 */
export async function quiesce(sys: System): Promise<void> {
  await takeCalls(sys);
  for (let i = 0; i < 66; i++) {
    await sleep(150);
    if ((await takeCalls(sys)).total === 0) return;
  }
  console.warn("! the controller kept receiving calls for 10 s after a run");
}

/** Upstream calls by route since the last reset, and reset. */
export async function takeCalls(sys: System): Promise<{ total: number; byRoute: Record<string, number> }> {
  const r = await httpGet(`${sys.statsUrl}?reset=1`);
  if (r.status !== 200) throw new Error(`emulator stats answered ${r.status}`);
  return JSON.parse(r.text) as { total: number; byRoute: Record<string, number> };
}
