/** What a scenario hands the report: per-target rounds with their medians, and round-by-round ratios. */
import type { CallsPerOp } from "./load.js";
import { median } from "./sampling.js";

export interface TargetResult {
  name: string;
  /** Metrics of each round, in round order. */
  rounds: Record<string, number>[];
  median: Record<string, number>;
  min: Record<string, number>;
  max: Record<string, number>;
  calls?: CallsPerOp;
}

export interface Comparison {
  label: string;
  unit: "x" | "ms";
  perRound: number[];
  median: number;
}

export interface ScenarioResult {
  id: number;
  title: string;
  /** The metric the scenario is about: rps, wallMs or p99. */
  primary: string;
  targets: TargetResult[];
  comparisons: Comparison[];
  notes: string[];
  extra: Record<string, number | string | boolean>;
}

export interface SuiteResult {
  latencyMs: number;
  /** /proc/loadavg (1, 5, 15 min) when the suite started and ended. */
  loadavgBefore: string;
  loadavgAfter: string;
  /** Measured rounds of the throughput scenarios, ms after the gateway started (for --cpu-prof). */
  gatewayProfileWindowMs: { fromMs: number; toMs: number } | undefined;
  scenarios: ScenarioResult[];
  skipped: string[];
}

export function summarise(name: string, rounds: Record<string, number>[], calls?: CallsPerOp): TargetResult {
  const keys = Object.keys(rounds[0] ?? {});
  const agg = (f: (xs: number[]) => number) => Object.fromEntries(keys.map((k) => [k, f(rounds.map((r) => r[k]!))]));
  return { name, rounds, median: agg(median), min: agg((xs) => Math.min(...xs)), max: agg((xs) => Math.max(...xs)), calls };
}

export function compare(
  label: string,
  unit: Comparison["unit"],
  a: Record<string, number>[],
  b: Record<string, number>[],
  key: string,
): Comparison {
  const perRound = a.map((r, i) => (unit === "x" ? r[key]! / b[i]![key]! : r[key]! - b[i]![key]!));
  return { label, unit, perRound, median: median(perRound) };
}
