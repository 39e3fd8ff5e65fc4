/**
 * Scenario 6 ("overload"): a burst of whole listings (60 by default, all sent at once) against the seeded
 * sessions, with a cheap `session(id)` reader every 20 ms beside it. It reports the gateway's peak RSS
 * during the burst, the reader's p50/p99/max latency, how many listings were answered completely, refused
 * with OVERLOADED (HTTP 503 or extensions.code OVERLOADED) or failed otherwise, and each listing's time
 * from being sent to its answer. docs/performance.md states the targets; this file judges nothing.
 */
import { graphql } from "../lib/load.js";
import { assertAlive, httpSend, sleep } from "../lib/processes.js";
import { type ScenarioResult, summarise } from "../lib/results.js";
import { memory, pct, resetPeak } from "../lib/sampling.js";
import type { Settings } from "../lib/settings.js";
import { type System, quiesce } from "../lib/system.js";

/** Listings sent at once: BENCH_OVERLOAD_LISTINGS (60), e.g. 20 to see how the footprint scales. */
export const OVERLOAD_LISTINGS = Math.max(1, Math.min(1000, Number(process.env.BENCH_OVERLOAD_LISTINGS) || 60));
/** The reader's period, ms. */
const READER_PERIOD_MS = 20;

type Outcome = "complete" | "overloaded" | "failed";

/** Why listings failed: HTTP status and the first error code, e.g. "200 GATEWAY_TIMEOUT". */
const failures = new Map<string, number>();
const fail = (why: string): "failed" => {
  failures.set(why, (failures.get(why) ?? 0) + 1);
  return "failed";
};

export async function scenarioOverload(sys: System, s: Settings, sessionIds: string[]): Promise<ScenarioResult> {
  console.log(
    `\n[${sys.latencyMs} ms] scenario 6 (overload): ${OVERLOAD_LISTINGS} whole listings at once, session(id) every ${READER_PERIOD_MS} ms`,
  );
  const listing = graphql(
    sys,
    `
      {
        sessions(includeTerminated: true) {
          items {
            id
            status
            userId
            createdTime
            scope {
              name
            }
          }
        }
      }
    `,
  );
  const read = (id: string) =>
    graphql(
      sys,
      `
        query ($id: ID!) {
          session(id: $id) {
            id
            status
          }
        }
      `,
      { id },
    );

  await quiesce(sys);
  // One listing first, unmeasured, so the burst does not measure the JIT's first passes.
  await httpSend(listing);
  const before = memory(sys.gateway.pid);
  const peakReset = resetPeak(sys.gateway.pid);

  const readerMs: number[] = [];
  let readerErrors = 0;
  let stop = false;
  const reader = (async () => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      try {
        const r = await httpSend(read(sessionIds[i % sessionIds.length]!));
        if (r.status !== 200 || r.text.includes('"errors"')) readerErrors++;
      } catch {
        readerErrors++;
      }
      const ms = performance.now() - t0;
      readerMs.push(ms);
      await sleep(Math.max(0, READER_PERIOD_MS - ms));
    }
  })();

  let peakRssMiB = before.rssMiB;
  const sampler = setInterval(() => {
    const m = memory(sys.gateway.pid);
    if (m.rssMiB > peakRssMiB) peakRssMiB = m.rssMiB;
  }, 50);
  const t0 = performance.now();
  const listings = await Promise.all(
    Array.from({ length: OVERLOAD_LISTINGS }, async (): Promise<{ outcome: Outcome; ms: number }> => {
      const start = performance.now();
      try {
        const r = await httpSend(listing);
        const ms = performance.now() - start;
        if (r.status === 503 || r.text.includes('"OVERLOADED"')) return { outcome: "overloaded", ms };
        let v: { data?: { sessions?: { items?: unknown[] } | null }; errors?: { extensions?: { code?: string } }[] } = {};
        try {
          v = JSON.parse(r.text) as typeof v;
        } catch {
          // not JSON: counted by status below
        }
        const n = v.data?.sessions?.items?.length;
        if (r.status === 200 && n === s.sessions && !v.errors) return { outcome: "complete", ms };
        return { outcome: fail(`${r.status} ${v.errors?.[0]?.extensions?.code ?? `${n ?? "no"} items`}`), ms };
      } catch (err) {
        return { outcome: fail(`transport ${(err as { code?: string }).code ?? "error"}`), ms: performance.now() - start };
      }
    }),
  );
  const burstMs = performance.now() - t0;
  // A little reader time after the burst, so its tail shows too.
  await sleep(200);
  stop = true;
  await reader;
  clearInterval(sampler);
  const after = memory(sys.gateway.pid);
  assertAlive();

  const failedWhy = [...failures].map(([k, n]) => `${n} x ${k}`).join(", ");
  failures.clear();
  const count = (o: Outcome) => listings.filter((l) => l.outcome === o).length;
  const times = listings.map((l) => l.ms).sort((a, b) => a - b);
  const rsorted = [...readerMs].sort((a, b) => a - b);
  const peakMiB = Math.max(peakRssMiB, peakReset ? after.peakMiB : 0);
  const row = {
    peakRssMiB: peakMiB,
    complete: count("complete"),
    overloaded: count("overloaded"),
    failed: count("failed"),
    listingP50Ms: pct(times, 50),
    listingMaxMs: times[times.length - 1] ?? NaN,
    readerP50Ms: pct(rsorted, 50),
    readerP99Ms: pct(rsorted, 99),
    readerMaxMs: rsorted[rsorted.length - 1] ?? NaN,
    readerRequests: readerMs.length,
    readerErrors,
    burstMs,
  };
  console.log(
    `  peak RSS ${peakMiB.toFixed(0)} MiB (before ${before.rssMiB.toFixed(0)}); listings complete ${row.complete}, OVERLOADED ${row.overloaded}, failed ${row.failed}; ` +
      `listing time p50 ${row.listingP50Ms.toFixed(0)} max ${row.listingMaxMs.toFixed(0)} ms; ` +
      `reader p50 ${row.readerP50Ms.toFixed(1)} p99 ${row.readerP99Ms.toFixed(1)} max ${row.readerMaxMs.toFixed(1)} ms over ${readerMs.length} reads (${readerErrors} errors)` +
      (failedWhy ? `\n  failed: ${failedWhy}` : ""),
  );
  return {
    id: 6,
    title: `overload (${OVERLOAD_LISTINGS} whole listings of ${s.sessions})`,
    primary: "peakRssMiB",
    targets: [summarise("gateway", [row])],
    comparisons: [],
    notes: [
      `${OVERLOAD_LISTINGS} listings sent at once; session(id) every ${READER_PERIOD_MS} ms beside them`,
      `OVERLOADED = HTTP 503 or extensions.code OVERLOADED; failed = anything else short of all ${s.sessions} items`,
    ],
    extra: {
      gatewayRssBeforeMiB: before.rssMiB,
      gatewayRssAfterMiB: after.rssMiB,
      peakResetBeforeScenario: peakReset,
      failedWhy,
      listingTimesMs: times.map((t) => Math.round(t)).join(","),
    },
  };
}
