/**
 * The bench's report: the table printed at the end, the ratios the docs' targets are stated in
 * (docs/performance.md; the bench itself judges nothing), and the chart written next to the JSON.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallsPerOp } from "./lib/load.js";
import { ROOT } from "./lib/processes.js";
import type { SuiteResult, TargetResult } from "./lib/results.js";
import { median } from "./lib/sampling.js";
import { type Bar, type ChartRow, type Panel, fmt, renderSvg } from "./svg.js";

function callsText(c: CallsPerOp | undefined): string {
  if (!c) return "";
  // "GET /v1/sessions" -> list, "GET /v1/host-sets/{id}" -> host-set
  const short = (route: string) => (route === "GET /v1/sessions" ? "list" : route.replace(/^GET \/v1\/([^/]+?)s?\/\{id\}$/, "$1"));
  const parts = Object.entries(c.byRoute).map(([k, v]) => `${+v.toFixed(2)} ${short(k)}`);
  return `${+c.total.toFixed(2)}${parts.length > 1 ? ` (${parts.join(" + ")})` : parts.length ? ` ${parts[0]!.replace(/^[\d.]+ /, "")}` : ""}`;
}

/** One figure of one suite, as docs/performance.md states its targets. */
export interface Ratio {
  latencyMs: number;
  what: string;
  /** What was measured, as printed. */
  measured: string;
}

/** The ratios and counts this suite measured (scenarios not run are left out). */
export function ratios(suite: SuiteResult): Ratio[] {
  const out: Ratio[] = [];
  const add = (what: string, measured: string) => out.push({ latencyMs: suite.latencyMs, what, measured });
  const sc = (id: number) => suite.scenarios.find((x) => x.id === id);
  const cmp = (id: number, label: string) => sc(id)?.comparisons.find((c) => c.label === label)?.median;
  const times = (v: number) => `${v.toFixed(2)}x`;
  const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)} ms`;
  const s1 = cmp(1, "gateway / proxy");
  if (s1 !== undefined) add("scenario 1 throughput, gateway / proxy", times(s1));
  const s2 = sc(2);
  if (s2) {
    const gw = s2.targets.find((t) => t.name === "gateway")?.calls;
    const proxy = s2.targets.find((t) => t.name === "proxy")?.calls;
    // The proxy reads each distinct scope once by construction, so its scope reads are the count to match.
    const list = gw?.byRoute["GET /v1/sessions"] ?? 0;
    const scopes = gw?.byRoute["GET /v1/scopes/{id}"] ?? 0;
    const distinct = proxy?.byRoute["GET /v1/scopes/{id}"] ?? NaN;
    const others = (gw?.total ?? 0) - list - scopes;
    add(
      "scenario 2 upstream calls per operation",
      `${+list.toFixed(2)} list + ${+scopes.toFixed(2)} scope reads (${distinct} distinct scopes)${others ? ` + ${+others.toFixed(2)} other` : ""}`,
    );
    const r = cmp(2, "gateway / proxy");
    if (r !== undefined) add("scenario 2 throughput, gateway / proxy", times(r));
  }
  const s3 = sc(3);
  if (s3) {
    const r = cmp(3, "gateway / direct");
    if (r !== undefined) add("scenario 3 wall time, gateway / direct walk", times(r));
    // In MB (10^6 bytes), as the target is stated; /proc reports KiB.
    const peakMB = (Number(s3.extra.gatewayPeakMiB) * 2 ** 20) / 1e6;
    add("scenario 3 gateway peak RSS", `${peakMB.toFixed(0)} MB`);
  }
  const p50 = cmp(4, "gateway - direct, p50");
  const p99 = cmp(4, "gateway - direct, p99");
  if (p50 !== undefined && p99 !== undefined)
    add("scenario 4 latency added over the direct read, p50 / p99", `${signed(p50)} / ${signed(p99)}`);
  const s5 = cmp(5, "gateway / proxy");
  if (s5 !== undefined) add("scenario 5 throughput, gateway / proxy", times(s5));
  // --baseline: this build against the earlier one, from the same alternating rounds.
  for (const id of [1, 2, 5]) {
    const r = cmp(id, "gateway / baseline");
    if (r !== undefined) add(`scenario ${id} throughput, gateway / baseline`, times(r));
  }
  return out;
}

export function table(suites: SuiteResult[]): string {
  const head = [
    "lat",
    "scenario",
    "target",
    "median",
    "range (rounds)",
    "p50 ms",
    "p99 ms",
    "compared (median of rounds)",
    "upstream calls/op",
    "cpu us/op",
    "emu cpu us/op",
    "others %",
    "steal %",
  ];
  const rows: string[][] = [];
  for (const suite of suites) {
    for (const sc of suite.scenarios) {
      if (sc.id === 6) {
        // One burst, not rounds: its own line.
        const m = sc.targets[0]!.median;
        rows.push([
          `${suite.latencyMs} ms`,
          `${sc.id} ${sc.title}`,
          "gateway",
          `peak ${fmt(m.peakRssMiB!)} MiB`,
          "",
          fmt(m.readerP50Ms!),
          fmt(m.readerP99Ms!),
          `complete ${m.complete}, OVERLOADED ${m.overloaded}, failed ${m.failed}; listing max ${fmt(m.listingMaxMs!)} ms; reader max ${fmt(m.readerMaxMs!)} ms`,
          "",
          "",
          "",
          "",
          "",
        ]);
        continue;
      }
      sc.targets.forEach((t, i) => {
        const m = t.median;
        const main = sc.primary === "wallMs" ? `${fmt(m.wallMs!)} ms` : `${fmt(m.rps!)} req/s`;
        const key = sc.primary === "wallMs" ? "wallMs" : "rps";
        const range = `${fmt(t.min[key]!)}-${fmt(t.max[key]!)}`;
        const cmp =
          i === 0
            ? sc.comparisons
                .map(
                  (c) =>
                    `${c.label} ${c.unit === "x" ? `${c.median.toFixed(2)}x` : `${c.median >= 0 ? "+" : ""}${c.median.toFixed(2)} ms`}`,
                )
                .join("; ")
            : "";
        const cpu = sc.primary === "wallMs" ? (i === 0 ? `${fmt(m.cpuMs!)} ms/listing` : "") : fmt(m.cpuUsPerOp!);
        const emu = sc.primary === "wallMs" ? (i === 1 ? `${fmt(m.cpuMs!)} ms/listing` : "") : fmt(m.emulatorCpuUsPerOp!);
        rows.push([
          i === 0 ? `${suite.latencyMs} ms` : "",
          i === 0 ? `${sc.id} ${sc.title}` : "",
          t.name,
          main,
          range,
          m.p50 === undefined ? "" : m.p50.toFixed(2),
          m.p99 === undefined ? "" : m.p99.toFixed(2),
          cmp,
          callsText(t.calls),
          cpu,
          emu,
          `${m.othersPct!.toFixed(0)} (max ${t.max.othersPct!.toFixed(0)})`,
          m.stealPct === undefined ? "" : `${m.stealPct.toFixed(0)} (max ${t.max.stealPct!.toFixed(0)})`,
        ]);
      });
      if (sc.id === 3) {
        const e = sc.extra;
        rows.push([
          "",
          "",
          "",
          `gateway peak RSS ${fmt(e.gatewayPeakMiB as number)} MiB`,
          "",
          "",
          "",
          `RSS before ${fmt(e.gatewayRssBeforeMiB as number)} MiB${e.peakResetBeforeScenario ? " (peak reset before scenario)" : " (peak since start)"}`,
          "",
          "",
          "",
          "",
          "",
        ]);
      }
    }
    for (const sk of suite.skipped) rows.push([`${suite.latencyMs} ms`, sk, "", "", "", "", "", "", "", "", "", "", ""]);
  }
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => x.padEnd(widths[c]!))
      .join(" | ")
      .trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** How busy the machine was with other work, for the chart's header. */
function othersLine(suites: SuiteResult[]): string {
  const all = suites
    .flatMap((su) => su.scenarios.flatMap((sc) => sc.targets.flatMap((t) => t.rounds.map((r) => r.othersPct ?? NaN))))
    .filter(Number.isFinite);
  return `other processes used a median ${median(all).toFixed(0)}% (max ${Math.max(...all).toFixed(0)}%) of the CPU during runs; load average ${suites.map((su) => su.loadavgBefore).join(" / ")}`;
}

const COLORS: Record<string, string> = { gateway: "#4f46e5", proxy: "#0ea5e9", direct: "#9ca3af" };

export function chartRows(suites: SuiteResult[]): ChartRow[] {
  return suites.map((suite) => {
    const panels: Panel[] = [];
    for (const sc of suite.scenarios) {
      const key = sc.primary;
      const bar = (t: TargetResult): Bar => ({
        label: t.name,
        value: t.median[key]!,
        min: t.min[key]!,
        max: t.max[key]!,
        color: COLORS[t.name] ?? "#6b7280",
      });
      const c = (label: string) => sc.comparisons.find((x) => x.label === label)?.median ?? NaN;
      const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)} ms`;
      const note =
        sc.id === 1
          ? `${c("gateway / proxy").toFixed(2)}x proxy, ${c("gateway / direct").toFixed(2)}x direct`
          : sc.id === 3
            ? `${c("gateway / direct").toFixed(2)}x direct; peak RSS ${fmt(sc.extra.gatewayPeakMiB as number)} MiB`
            : sc.id === 6
              ? `complete ${sc.targets[0]!.median.complete}, OVERLOADED ${sc.targets[0]!.median.overloaded}, failed ${sc.targets[0]!.median.failed}`
              : sc.id === 4
                ? `gateway adds p50 ${signed(c("gateway - direct, p50"))}, p99 ${signed(c("gateway - direct, p99"))}`
                : `${c("gateway / proxy").toFixed(2)}x proxy`;
      const p: Panel = {
        title: `${sc.id}. ${sc.title}`,
        unit: key === "rps" ? "req/s" : key === "wallMs" ? "ms per listing" : key === "peakRssMiB" ? "peak RSS MiB" : "p99 ms",
        bars: sc.targets.map(bar),
        note,
      };
      panels.push(p);
    }
    return { label: `upstream +${suite.latencyMs} ms`, panels };
  });
}

/** What one `npm run bench` writes to bench/results/latest.json. */
export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: string;
  commit: string;
  uncommittedChanges: boolean;
  settings: unknown;
  suites: SuiteResult[];
  ratios: Ratio[];
}

/** Write latest.json and latest.svg (each run replaces the last). */
export function writeResults(result: BenchResult, settingsLine: string): void {
  const outDir = join(ROOT, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  const header = [`${result.startedAt}, ${result.machine}`, settingsLine, othersLine(result.suites)];
  writeFileSync(join(outDir, "latest.svg"), renderSvg("boundary-graphql benchmark", header, chartRows(result.suites)));
}

/** The report on stdout: settings, machine, the table, the machine's load, the ratios and any errors. */
export function printReport(result: BenchResult, settingsLine: string): void {
  const { suites } = result;
  console.log(`\n${settingsLine}\n${result.machine}\n`);
  console.log(table(suites));
  console.log(
    "\nothers %: CPU that processes outside the benchmark used during each run; steal %: CPU the hypervisor gave to other" +
      " machines; both as % of all cores (median, max over rounds). Above ~10% the numbers are disturbed.",
  );
  for (const su of suites) console.log(`load average at ${su.latencyMs} ms: ${su.loadavgBefore} before, ${su.loadavgAfter} after`);
  console.log("\nRatios (docs/performance.md states the targets):");
  for (const r of result.ratios) console.log(`  [${r.latencyMs} ms] ${r.what}: ${r.measured}`);
  const errors = suites.flatMap((su) =>
    su.scenarios.flatMap((sc) =>
      sc.targets.flatMap((t) =>
        t.max.errors ? [`${su.latencyMs} ms scenario ${sc.id} ${t.name}: ${t.max.errors} errors in a round`] : [],
      ),
    ),
  );
  for (const e of errors) console.log(`! ${e}`);
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.svg`);
}
