/**
 * The public surface of the in-process Boundary controller emulator.
 *
 * The gateway's tests and `npm start` (demo mode) depend only on what is declared here; everything else
 * under `src/emulator/` is private to the emulator.
 */

import type { WireSession } from "../boundary/wire.js";

/** Options of {@link startEmulator}. Every size knob has a default that suits the demo. */
export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default "127.0.0.1". */
  host?: string;
  /** Seed of the deterministic demo data. Default 1. */
  seed?: number;
  /** Number of org scopes under `global`. Default 2. */
  orgs?: number;
  /** Number of project scopes under each org. Default 2. */
  projectsPerOrg?: number;
  /** Number of ordinary (non-admin) users. Default 3. */
  users?: number;
  /** Number of seeded sessions, spread over projects and users, in every status. Default 200. */
  sessions?: number;
  /** Largest page a list returns; bigger `page_size` values are capped silently. Default 1000. */
  maxPageSize?: number;
  /** Emulator-clock delay between `canceling` and `terminated` after a cancel. Default 5000 ms. */
  cancelDelayMs?: number;
  /** Clock value (epoch ms) at start; seeded timestamps lie before it. Default Date.now(). */
  startTime?: number;
  /** Controller-like rate limiting (429 + Retry-After, empty body). Off unless given. */
  rateLimit?: boolean | RateLimitOptions;
  /** Answer like a controller before 0.15, which had no pagination: `page_size` and `list_token` are
   * ignored, every item comes in one answer, without `response_type`, `list_token` or `est_item_count`.
   * Default false. */
  prePagination?: boolean;
  /** Latency added to every response, in ms. Default 0. Also settable later via `faults.latencyMs`. */
  latencyMs?: number;
  /** Serve HTTPS instead of HTTP with this PEM key pair (and optionally require client certs). */
  tls?: { key: string; cert: string; ca?: string; requestCert?: boolean };
  /** Record calls in `calls`. Default true (benchmarks turn it off). */
  callLog?: boolean;
}

export interface RateLimitOptions {
  /** Window length in ms. Default 30 000. */
  windowMs?: number;
  /** List requests allowed per auth token per window. Default 150. */
  listPerToken?: number;
  /** Other requests allowed per auth token per window. Default 3000. */
  otherPerToken?: number;
  /** List requests allowed per client IP per window. Default 1500. */
  listPerIp?: number;
  /** List requests allowed in total per window. Default 1500. */
  listTotal?: number;
}

/** One demo credential. `token` is the full bearer value (`at_<10>_s1<base58>`). */
export interface DemoToken {
  token: string;
  authTokenId: string;
  userId: string;
  loginName: string;
  /** What the token may do, in one line (printed by `npm run emulator`). */
  description: string;
}

export interface DemoTokens {
  /** Every action on every resource (`ids=*;type=*;actions=*` in every scope). */
  admin: DemoToken;
  /** Ordinary users: sessions `list,read:self,cancel:self`; read on scopes; list only their own sessions. */
  users: DemoToken[];
  /** May list/read/cancel every session and read scopes, except the scopes of the second org and its
   * projects (403 there): for partial-error tests of nested scope lookups. */
  scopeLimited: DemoToken;
}

/** One request as the emulator saw it. Times are `performance.now()` milliseconds. */
export interface CallRecord {
  method: string;
  /** Path as received, without the query string (e.g. `/v1/sessions/s_123:cancel`). */
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** The raw Authorization header, if any. */
  authorization?: string;
  /** The W3C `traceparent` header, when the caller sent one (tracing tests check propagation). */
  traceparent?: string;
  /** Status code sent (0 if the connection was reset or stalled). */
  status: number;
  start: number;
  end: number;
}

/** A one-shot fault applied to the next `times` requests whose `METHOD path` matches `match`. */
export type Fault =
  | { kind: "status"; status: number; body?: unknown; retryAfter?: number; times?: number; match?: RegExp }
  | { kind: "reset"; times?: number; match?: RegExp }
  | { kind: "malformed"; times?: number; match?: RegExp }
  | { kind: "stall"; times?: number; match?: RegExp }
  | { kind: "latency"; ms: number; times?: number; match?: RegExp };

export interface FaultControl {
  /** Added to every response, in ms. */
  latencyMs: number;
  add(fault: Fault): void;
  clear(): void;
}

export interface EmulatorClock {
  /** Current emulator time, epoch ms. Starts at `startTime` and runs with real time. */
  now(): number;
  /** Move the clock forward; due state changes (canceling -> terminated) happen at once. */
  advance(ms: number): void;
}

export type { WireConnection, WireScopeInfo, WireSession, WireSessionState } from "../boundary/wire.js";

/** Direct access to the emulator's data, for tests (no HTTP, no auth). */
export interface EmulatorStore {
  /** All sessions, as the admin would read them (with connections), newest first. */
  sessions(): WireSession[];
  session(id: string): WireSession | undefined;
  /** Ids of every scope: `global`, orgs, projects. */
  scopeIds(): string[];
  /** Create a session now (status pending unless given); returns its id. */
  createSession(opts?: { projectId?: string; userId?: string; status?: "pending" | "active" }): string;
  /** Change a session's state now (version+1, updated_time bumped). */
  setStatus(id: string, status: "active" | "canceling" | "terminated", terminationReason?: string): void;
  /** Hard-delete a session (it then shows in refreshes' `removed_ids`). */
  deleteSession(id: string): void;
  /**
   * The table-wide estimate a session listing sends as `est_item_count` when its first call is not
   * complete; undefined (the default) uses the real count. The controller reads it from Postgres'
   * statistics (`reltuples`, internal/session/query.go) and sends it as a uint32, so a table never
   * analysed (-1) arrives as 4294967295.
   */
  setSessionEstimate(n: number | undefined): void;
  /** Replace a user's session grants with `ids=*;type=session;actions=<actions>` in every scope. */
  setSessionGrant(userId: string, actions: readonly string[]): void;
  /** Change a user's grants, so list tokens issued to them fail with `invalid list token`. */
  changeGrants(userId: string): void;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:39123` (no trailing slash, no `/v1`). */
  url: string;
  tokens: DemoTokens;
  /** Requests received, in arrival order. */
  calls: CallRecord[];
  clearCalls(): void;
  faults: FaultControl;
  clock: EmulatorClock;
  store: EmulatorStore;
  close(): Promise<void>;
}
