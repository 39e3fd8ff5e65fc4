/**
 * Emulator time. Internally every instant is an integer count of microseconds since the epoch, because
 * Postgres (and so the controller) keeps microseconds; a millisecond clock would make every timestamp
 * look suspiciously round and would let two writes in the same millisecond tie.
 */

export const US_PER_MS = 1000;
export const US_PER_S = 1_000_000;

/** RFC 3339 in UTC with 0, 3 or 6 fractional digits, the shortest that is exact, as protojson writes it. */
export function formatTimestamp(us: number): string {
  const seconds = Math.floor(us / US_PER_S);
  const micros = us - seconds * US_PER_S;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (micros === 0) return `${whole}Z`;
  const frac = String(micros).padStart(6, "0");
  return micros % 1000 === 0 ? `${whole}.${frac.slice(0, 3)}Z` : `${whole}.${frac}Z`;
}

/**
 * The emulator clock: starts at `startTime`, runs with real (monotonic) time, and can be pushed forward
 * by tests. `onAdvance` lets the store apply state changes that fell due.
 */
export class Clock {
  private readonly origin = performance.now();
  private offsetMs = 0;
  onAdvance: (() => void) | undefined;

  constructor(private readonly startTime: number) {}

  now(): number {
    return this.startTime + (performance.now() - this.origin) + this.offsetMs;
  }

  nowUs(): number {
    return Math.floor(this.now() * US_PER_MS);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance(${ms}): the emulator clock only moves forward`);
    this.offsetMs += ms;
    this.onAdvance?.();
  }
}
