/** Sampling from /proc: CPU time, memory and the machine's load, and the statistics over rounds. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { children } from "./processes.js";

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Nearest-rank percentile of sorted values. */
export const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** User+system CPU time of a process, in ms (from /proc; NaN where there is no /proc). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMiB: kb("VmRSS") / 1024, peakMiB: kb("VmHWM") / 1024 };
  } catch {
    return { rssMiB: NaN, peakMiB: NaN };
  }
}

/** Reset a process's VmHWM to its current RSS (Linux >= 4.0); false where not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU time the whole machine spent busy (user, nice, system, irq, softirq) and stolen by the hypervisor, in ms. */
export function machineMs(): { busy: number; steal: number } {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 1000) / CLK_TCK, steal: ((f[7] ?? 0) * 1000) / CLK_TCK };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}

/** CPU time of this process and every process it started, in ms. */
export function oursMs(): number {
  const self = process.cpuUsage();
  let ms = (self.user + self.system) / 1000;
  for (const c of children) if (c.alive) ms += cpuMs(c.pid);
  return ms;
}

/**
 * Measures, between start and stop, the share of the machine's CPU that processes other than ours used,
 * and the share the hypervisor stole (a virtual machine's neighbours), both as % of all cores.
 */
export function othersMeter(): () => { othersPct: number; stealPct: number } {
  const m0 = machineMs();
  const ours0 = oursMs();
  const t0 = performance.now();
  return () => {
    const all = (performance.now() - t0) * cpus().length;
    const m1 = machineMs();
    const others = m1.busy - m0.busy - (oursMs() - ours0);
    return { othersPct: Math.max(0, (100 * others) / all), stealPct: Math.max(0, (100 * (m1.steal - m0.steal)) / all) };
  };
}

export const loadavg = (): string => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "";
  }
};
