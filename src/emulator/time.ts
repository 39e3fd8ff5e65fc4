/**
 * Emulator time. Internally every instant is an integer count of microseconds since the epoch, because
 * Postgres (and so the controller) keeps microseconds; a millisecond clock would make every timestamp
 * look suspiciously round and would let two writes in the same millisecond tie.
 */

export const US_PER_MS = 1000;
export const US_PER_S = 1_000_000;

const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/**
 * RFC 3339 in UTC with 0, 3 or 6 fractional digits, the shortest that is exact, as protojson writes it.
 * Civil date by arithmetic (Hinnant's days-to-civil) rather than Date#toISOString: a 1000-item page
 * formats ~10k timestamps.
 */
export function formatTimestamp(us: number): string {
  const seconds = Math.floor(us / US_PER_S);
  const micros = us - seconds * US_PER_S;
  const days = Math.floor(seconds / 86400);
  let sod = seconds - days * 86400;
  const hh = Math.floor(sod / 3600);
  sod -= hh * 3600;
  const mm = Math.floor(sod / 60);
  const whole = `${civilDate(days)}T${TWO[hh]}:${TWO[mm]}:${TWO[sod - mm * 60]}`;
  if (micros === 0) return `${whole}Z`;
  if (micros % 1000 === 0) return `${whole}.${String(micros / 1000).padStart(3, "0")}Z`;
  return `${whole}.${String(micros).padStart(6, "0")}Z`;
}

const dates = new Map<number, string>();

/** `YYYY-MM-DD` of a day count since the epoch, memoised: seeded data spans few days. */
function civilDate(days: number): string {
  let s = dates.get(days);
  if (s !== undefined) return s;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  s = `${String(y).padStart(4, "0")}-${TWO[m]}-${TWO[d]}`;
  if (dates.size > 10_000) dates.clear();
  dates.set(days, s);
  return s;
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
