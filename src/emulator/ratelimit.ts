/**
 * The controller's API rate limiter (`internal/ratelimit`), with its defaults (internal/ratelimit/config.go):
 * one quota per resource:action (`session:list`, `scope:list`, `session:read`, `session:cancel`, …), per
 * 30 s window: list actions 150 per auth token / 1500 per IP / 1500 in total, other actions 3000 / 30000
 * / 30000. Fixed windows on the emulator clock, so tests can step past a window with clock.advance.
 */
import type { RateLimitOptions } from "./types.js";

interface Counter {
  window: number;
  count: number;
}

interface Limit {
  name: "auth-token" | "ip-address" | "total";
  key: string;
  max: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly windowMs: number;
  private readonly listPerToken: number;
  private readonly otherPerToken: number;
  private readonly listPerIp: number;
  private readonly listTotal: number;
  private readonly counters = new Map<string, Counter>();

  constructor(
    opts: RateLimitOptions,
    private readonly now: () => number,
  ) {
    this.windowMs = opts.windowMs ?? 30_000;
    this.listPerToken = opts.listPerToken ?? 150;
    this.otherPerToken = opts.otherPerToken ?? 3000;
    this.listPerIp = opts.listPerIp ?? 1500;
    this.listTotal = opts.listTotal ?? 1500;
  }

  /** `resourceAction` as the controller names it (see `resourceActionOf`). */
  check(tokenKey: string, ip: string, resourceAction: string): RateDecision {
    const now = this.now();
    const window = Math.floor(now / this.windowMs);
    const resetS = Math.max(1, Math.ceil(((window + 1) * this.windowMs - now) / 1000));
    const isList = resourceAction.endsWith(":list");
    const kind = resourceAction;
    const limits: Limit[] = [
      { name: "auth-token", key: `${kind}|t|${tokenKey}`, max: isList ? this.listPerToken : this.otherPerToken },
      { name: "ip-address", key: `${kind}|i|${ip}`, max: isList ? this.listPerIp : 30000 },
      { name: "total", key: `${kind}|all`, max: isList ? this.listTotal : 30000 },
    ];
    const counters = limits.map((l) => {
      let c = this.counters.get(l.key);
      if (!c || c.window !== window) this.counters.set(l.key, (c = { window, count: 0 }));
      return c;
    });
    const allowed = limits.every((l, i) => counters[i].count < l.max);
    if (allowed) for (const c of counters) c.count++;
    // Report the quota closest to running out.
    let tight = 0;
    for (let i = 1; i < limits.length; i++) {
      if (limits[i].max - counters[i].count < limits[tight].max - counters[tight].count) tight = i;
    }
    const windowS = Math.round(this.windowMs / 1000);
    const headers: Record<string, string> = {
      "RateLimit-Policy": limits.map((l) => `${l.max};w=${windowS};comment="${l.name}"`).join(", "),
      RateLimit: `limit=${limits[tight].max}, remaining=${Math.max(0, limits[tight].max - counters[tight].count)}, reset=${resetS}`,
    };
    if (!allowed) headers["Retry-After"] = String(resetS);
    return { allowed, headers };
  }
}

/** Plural path segments to the controller's resource names (internal/types/resource). */
const RESOURCES: Record<string, string> = {
  sessions: "session",
  scopes: "scope",
  targets: "target",
  users: "user",
  hosts: "host",
  "host-sets": "host-set",
  "auth-tokens": "auth-token",
};

/**
 * The resource:action a request counts against, as internal/ratelimit/handler.go extracts it: an explicit
 * `:action` suffix, else list/create on a collection and read/update/delete on an item.
 */
export function resourceActionOf(method: string, path: string): string {
  const m = /^\/v1\/([\w-]+)(?:\/([^:]+))?(?::([\w:-]+))?/.exec(path);
  const resource = (m && RESOURCES[m[1]!]) ?? "unknown";
  if (m?.[3]) return `${resource}:${m[3]}`;
  const id = m?.[2];
  if (id === undefined) return `${resource}:${method === "POST" ? "create" : "list"}`;
  return `${resource}:${method === "DELETE" ? "delete" : method === "PATCH" ? "update" : "read"}`;
}
