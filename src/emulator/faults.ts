/** One-shot faults for tests (FaultControl): queued in order, each consumed by the requests it matches. */
import type { Fault, FaultControl } from "./types.js";

interface Pending {
  fault: Fault;
  remaining: number;
}

export class Faults implements FaultControl {
  latencyMs: number;
  private queue: Pending[] = [];

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault.times must be a positive integer, got ${fault.times}`);
    this.queue.push({ fault, remaining: times });
  }

  clear(): void {
    this.queue = [];
  }

  /** The first queued fault matching `METHOD path`, consumed once. */
  take(method: string, path: string): Fault | undefined {
    const key = `${method} ${path}`;
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p.fault.match) {
        p.fault.match.lastIndex = 0;
        if (!p.fault.match.test(key)) continue;
      }
      if (--p.remaining === 0) this.queue.splice(i, 1);
      return p.fault;
    }
    return undefined;
  }
}
