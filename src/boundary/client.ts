/**
 * The controller's REST API, as the gateway uses it. Knows HTTP and Boundary's wire format, nothing of
 * GraphQL. One undici pool per client (per process); every call goes through `request()`, which owns
 * auth, the deadline, path escaping, JSON decoding and error typing.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Pool, errors as undiciErrors } from "undici";
import type { CallScope } from "./call-scope.js";
import { RESOURCES, resourceKindOf, type ResourceKind } from "./resources.js";
import type { ListBudget } from "./list-budget.js";
import {
  BoundaryApiError,
  BoundaryError,
  BoundaryInputError,
  BoundaryInvalidCredentialsError,
  BoundaryProtocolError,
  BoundaryTimeoutError,
  BoundaryUnreachableError,
  type SentRequest,
} from "./errors.js";
import type {
  WireAuthToken,
  WireError,
  WireHost,
  WireHostSet,
  WireListResponse,
  WireScope,
  WireSession,
  WireTarget,
  WireUser,
} from "./wire.js";
import { createBulkhead } from "./bulkhead.js";

export interface BoundaryClientOptions {
  /** Controller base URL without `/v1`, e.g. `https://boundary.example.com:9200`. */
  baseUrl: string;
  /** Deadline of one attempt, from connect to the last body byte. */
  timeoutMs: number;
  /** Deadline of establishing a connection. Default min(timeoutMs, 3000). */
  connectTimeoutMs?: number;
  /** Retries of a failed read (GET). Default 2. */
  retries?: number;
  /** First backoff step; doubled per retry, with jitter. Default 100 ms. */
  retryBaseDelayMs?: number;
  /** Keep-alive connections in the pool. Default 32. */
  connections?: number;
  /** Most calls of one route template (e.g. `GET /v1/sessions/{id}`) in flight. Default 3/4 of
   * `connections`. */
  maxPerRoute?: number;
  /** Most calls of one resource (route template + id) in flight. Default 1/4 of `connections`. */
  maxPerResource?: number;
  /** Told when a call waits for a bulkhead slot, and of the number of calls waiting per route. */
  onBulkheadWait?: (endpoint: string) => void;
  onBulkheadQueued?: (endpoint: string, queued: number) => void;
  /** TLS settings for an https controller (PEM strings). */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; servername?: string };
  /** The process's budget of list calls (UPSTREAM_LIST_BUDGET); none: unlimited. */
  listBudget?: ListBudget;
  /** Told what an operator should know about the controller (once per kind of news), e.g. that it
   * predates pagination. */
  onWarning?: (message: string) => void;
  /** Called once per finished call (also failed ones): for metrics and request logs. */
  onCall?: (call: UpstreamCall) => void;
}

/** One finished upstream call. `endpoint` is the route template, e.g. `GET /v1/sessions/{id}`. */
export interface UpstreamCall {
  endpoint: string;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  durationMs: number;
}

export interface ListSessionsParams {
  scopeId: string;
  recursive: boolean;
  filter?: string;
  includeTerminated: boolean;
  pageSize?: number;
  listToken?: string;
}

export interface BoundaryClient {
  getSession(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireSession>;
  /** One list page. `peek`, when given, sees the raw body of the answer before it is parsed (a walker
   * reads the next page's token from it to ask for that page while this one is parsed). When it
   * answers true (it asked for something), parsing waits one turn of the event loop so that request
   * leaves first: undici writes a request on a reused keep-alive socket only after a check of the
   * socket in the loop's check phase. */
  listSessions(
    params: ListSessionsParams,
    auth: string | undefined,
    signal?: AbortSignal,
    peek?: (body: string) => boolean,
  ): Promise<WireListResponse<WireSession>>;
  cancelSession(id: string, version: number, auth: string | undefined, signal?: AbortSignal): Promise<WireSession>;
  getScope(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireScope>;
  getTarget(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireTarget>;
  getUser(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireUser>;
  getHost(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireHost>;
  getHostSet(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireHostSet>;
  getAuthToken(id: string, auth: string | undefined, signal?: AbortSignal): Promise<WireAuthToken>;
  /** Whether the controller answers at all: an anonymous scope list, one attempt, no retry. Resolves
   * to the HTTP status; rejects when no answer arrives. */
  ping(): Promise<number>;
  /** The process's budget of list calls, if there is one (pollers pace themselves by it). */
  readonly listBudget: ListBudget | undefined;
  /** List tokens this process handed out in the middle of a listing (see `ListTokenPhases`). */
  readonly listTokenPhases: ListTokenPhases;
  /** This client with every call under `scope`: its deadline, and counted in its tally. */
  withScope(scope: CallScope): BoundaryClient;
  /** The pool's state, for readiness: `wedged` when calls wait for a connection and none has settled
   * for longer than the per-call timeout. */
  health(): PoolHealth;
  /** Close the pool: in-flight calls finish, idle sockets close. */
  close(): Promise<void>;
}

/**
 * Which list tokens are a listing's next page rather than a refresh. A token does not say (it is opaque),
 * and the two are asked for differently: a next page with the caller's filter, a refresh without (see
 * `listSessions`). Tokens this process handed out with more pages to come are remembered, a bounded
 * number of them, oldest forgotten first; an unknown token costs one unfiltered call to learn its phase.
 */
export interface ListTokenPhases {
  isNextPage(token: string): boolean;
  nextPage(token: string): void;
}

/** Most next-page tokens remembered: a walk in progress per client, many clients. */
const MAX_REMEMBERED_TOKENS = 4096;

function createListTokenPhases(): ListTokenPhases {
  const tokens = new Set<string>();
  return {
    isNextPage: (token) => tokens.has(token),
    nextPage(token) {
      if (tokens.has(token)) return;
      if (tokens.size >= MAX_REMEMBERED_TOKENS) tokens.delete(tokens.values().next().value!);
      tokens.add(token);
    },
  };
}

export interface PoolHealth {
  wedged: boolean;
  /** Calls waiting for a connection (in the pool or for a bulkhead slot in front of it). */
  queued: number;
  /** Milliseconds since a call last settled (answer, error or refusal by undici). */
  sinceProgressMs: number;
}

/** RFC 9110 field-value: visible ASCII, obs-text, SP and HTAB inside, no leading or trailing space.
 * undici 7 refuses anything else, and a refused request keeps its pool connection for good: after
 * `connections` of them every later call waits forever (seen on 7.30), whatever its abort signal. */
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

export function isValidHeaderValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

/** Boundary ids are `prefix_` + base62; anything else would let a caller steer the URL path. */
const ID = /^[a-z]+_[A-Za-z0-9]+$/;
/** List tokens are base58. Checked here because a malformed one makes the controller answer 500. */
const LIST_TOKEN = /^[1-9A-HJ-NP-Za-km-z]+$/;

/** Longest id or scope id sent upstream: Boundary's ids are a prefix and 10 characters; a 100 KB "id"
 * would only earn a 431 from the controller after crossing the network. */
export const MAX_ID_LENGTH = 128;
/** Longest list token. The controller's tokens carry a grants hash, timestamps and the last item's id
 * in base58 (hashicorp/boundary internal/listtoken), which already exceeds 128 characters (the
 * emulator's are 133), so the cap is looser than for ids. */
export const MAX_LIST_TOKEN_LENGTH = 1024;
/** Longest filter expression: a real filter is a few hundred bytes; the controller refuses long URLs. */
export const MAX_FILTER_BYTES = 8 * 1024;

export function checkSessionId(id: string): void {
  if (!id.startsWith("s_") || id.length > MAX_ID_LENGTH || !ID.test(id)) {
    throw new BoundaryInputError("id", `"${truncate(id)}" is not a session id (s_ followed by letters and digits)`);
  }
}

export function checkScopeId(id: string, field = "scopeId"): void {
  if (id !== "global" && !((id.startsWith("o_") || id.startsWith("p_")) && id.length <= MAX_ID_LENGTH && ID.test(id))) {
    throw new BoundaryInputError(field, `"${truncate(id)}" is not a scope id (global, o_… or p_…)`);
  }
}

export function checkListToken(token: string, field = "after"): void {
  if (token.length > MAX_LIST_TOKEN_LENGTH || !LIST_TOKEN.test(token)) {
    throw new BoundaryInputError(field, `"${truncate(token)}" is not a list token from this API`);
  }
}

export function checkFilter(filter: string, field = "filter"): void {
  if (Buffer.byteLength(filter) > MAX_FILTER_BYTES) {
    throw new BoundaryInputError(field, `The filter is longer than ${MAX_FILTER_BYTES} bytes.`);
  }
}

/** Refuses anything but a well-formed id of `kind` (the id goes into the URL path). */
export function checkResourceId(kind: ResourceKind, id: string, field = "id"): void {
  if (resourceKindOf(id) !== kind || id.length > MAX_ID_LENGTH || (id !== "global" && !ID.test(id))) {
    throw new BoundaryInputError(field, `"${truncate(id)}" is not ${RESOURCES[kind].hint}`);
  }
}

/** Route cap 3/4 of the pool, resource cap 1/4, so a slow resource or route always leaves connections to
 * the others; each at least 1 and never above the pool. */
export function bulkheadCaps(connections: number, perRoute?: number, perResource?: number): { perRoute: number; perResource: number } {
  const route = Math.min(connections, perRoute ?? Math.max(1, Math.floor((connections * 3) / 4)));
  return { perRoute: route, perResource: Math.min(route, perResource ?? Math.max(1, Math.floor(connections / 4))) };
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

export function createBoundaryClient(options: BoundaryClientOptions): BoundaryClient {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs;
  const connections = options.connections ?? 32;
  const bulkhead = createBulkhead({
    ...bulkheadCaps(connections, options.maxPerRoute, options.maxPerResource),
    onWait: options.onBulkheadWait,
    onQueued: options.onBulkheadQueued,
  });
  const pool = new Pool(base.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    // undici's defaults (300 s) are for generic clients; a gateway call never outlives its deadline.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: options.connectTimeoutMs ?? Math.min(timeoutMs, 3_000),
      ...(options.tls ?? {}),
    },
  });

  /** Calls handed to the pool and not yet settled, and when one last settled (or, after a quiet spell,
   * when the first of them started): with calls queued, a long silence means the pool is wedged. The
   * restart after a quiet spell keeps the first burst after idling from looking wedged. */
  let inPool = 0;
  let lastProgress = performance.now();
  const entered = () => {
    if (inPool++ === 0) lastProgress = performance.now();
  };
  const progress = () => {
    inPool--;
    lastProgress = performance.now();
  };

  const retries = options.retries ?? 2;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 100;

  /**
   * The single funnel. Reads (GET) are retried on connection failures, 429 and 502/503/504, at most
   * `retries` times, with jittered exponential backoff or the controller's Retry-After, and only while
   * the wait ends before the inbound request's deadline. Writes are never retried: a cancel that reached
   * the controller must not be sent twice. Per-attempt timeouts are not retried either (a stalled
   * controller is not helped by more load).
   */
  async function request<T>(
    method: "GET" | "POST",
    endpoint: string,
    path: string,
    auth: string | undefined,
    body: unknown,
    signal: AbortSignal | undefined,
    scope: CallScope | undefined,
    peek?: (body: string) => boolean,
  ): Promise<T> {
    // Before any call: undici would refuse it and leak a pool connection (see FIELD_VALUE). Not retried.
    if (auth !== undefined && !isValidHeaderValue(auth)) throw new BoundaryInvalidCredentialsError(endpoint);
    const outer = signal && scope?.signal ? AbortSignal.any([signal, scope.signal]) : (signal ?? scope?.signal);
    const attempts = method === "GET" ? retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce<T>(method, endpoint, path, auth, body, outer, scope, peek, attempt);
      } catch (err) {
        const failure = err as BoundaryError;
        const wait = attempt < attempts ? retryDelay(failure, attempt) : undefined;
        if (wait === undefined) throw failure;
        const deadline = scope?.deadline ?? Date.now() + timeoutMs;
        if (Date.now() + wait >= deadline) throw failure;
        try {
          await sleep(wait, undefined, { signal: outer });
        } catch {
          throw failure;
        }
      }
    }
  }

  function retryDelay(err: BoundaryError, attempt: number): number | undefined {
    const backoff = retryBaseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    if (err instanceof BoundaryUnreachableError) return backoff;
    if (err instanceof BoundaryApiError && [429, 502, 503, 504].includes(err.status)) {
      return err.retryAfter !== undefined ? err.retryAfter * 1000 : backoff;
    }
    return undefined;
  }

  async function attemptOnce<T>(
    method: "GET" | "POST",
    endpoint: string,
    path: string,
    auth: string | undefined,
    body: unknown,
    outer: AbortSignal | undefined,
    scope: CallScope | undefined,
    peek?: (body: string) => boolean,
    attempt = 1,
  ): Promise<T> {
    const started = performance.now();
    let status = 0;
    if (scope) scope.calls++;
    const headers: Record<string, string> = {
      accept: "application/json",
      // The Go client sends it on every call, GETs included; the controller treats any body as JSON.
      "content-type": "application/json",
    };
    if (auth !== undefined) headers.authorization = auth;
    const traced = scope?.trace?.start(endpoint, attempt, headers);
    let failure: unknown;
    // The gateway's own bound whatever undici does: a call queued behind wedged connections ignores its
    // abort signal. The scope's shared signal is raced (no timer per call); an unscoped call gets one.
    const deadline = outer ?? AbortSignal.timeout(timeoutMs);
    /** One attempt's request, read whole (an unread body holds its socket until GC). */
    async function send() {
      const res = await pool.request({
        method,
        path: prefix + path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // The attempt's own timeout is the pool's headersTimeout/bodyTimeout; `deadline` is the
        // inbound request's.
        signal: deadline,
      });
      status = res.statusCode;
      // The controller announces its list quota on every list answer, 429s included.
      if (endpoint === "GET /v1/sessions")
        options.listBudget?.observe(header(res.headers["ratelimit"]), header(res.headers["ratelimit-policy"]));
      // Read the whole body in every case: an unread body holds its socket until GC.
      return { res, text: await res.body.text() };
    }
    try {
      const answer = await raceAbort(
        (async () => {
          // Held until the body is read: the connection is busy that long.
          const release = await bulkhead.acquire(endpoint, path, deadline);
          try {
            entered();
            try {
              return await send();
            } finally {
              progress();
            }
          } finally {
            release();
          }
        })(),
        deadline,
      );
      const { res, text } = answer;
      if (status >= 400) {
        throw new BoundaryApiError(
          status,
          parseErrorBody(text),
          parseRetryAfter(res.headers["retry-after"]),
          endpoint,
          sentFacts(path, auth),
        );
      }
      // Two turns: the request asked for in `peek` reaches the pool only after the list budget's
      // promise settles (microtasks), so undici's check of the socket is queued after the first turn.
      if (peek?.(text) === true) await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new BoundaryProtocolError(endpoint, "body is not JSON", { cause });
      }
      // Every endpoint we call answers with a JSON object (a bare resource or a list envelope).
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new BoundaryProtocolError(endpoint, "body is not a JSON object");
      }
      return parsed as T;
    } catch (err) {
      failure = classify(err, endpoint, deadline);
      throw failure;
    } finally {
      options.onCall?.({ endpoint, status, durationMs: performance.now() - started });
      traced?.(status, failure);
    }
  }

  function classify(err: unknown, endpoint: string, signal: AbortSignal | undefined): BoundaryError {
    if (err instanceof BoundaryError) return err;
    // The inbound request's overall deadline passed.
    if (signal?.aborted) return new BoundaryTimeoutError(endpoint, timeoutMs, { cause: err });
    if (
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError ||
      err instanceof undiciErrors.ConnectTimeoutError
    ) {
      return new BoundaryTimeoutError(endpoint, timeoutMs, { cause: err });
    }
    return new BoundaryUnreachableError(endpoint, { cause: err });
  }

  /** `GET /v1/<collection>/{id}`: a bare resource. */
  const read = <T>(
    scope: CallScope | undefined,
    collection: string,
    id: string,
    auth: string | undefined,
    signal: AbortSignal | undefined,
  ) => request<T>("GET", `GET /v1/${collection}/{id}`, `/v1/${collection}/${encodeURIComponent(id)}`, auth, undefined, signal, scope);

  const listTokenPhases = createListTokenPhases();
  /** A controller before 0.15 is reported once per process, not on every list. */
  let warnedPrePagination = false;
  const api = (scope: CallScope | undefined): BoundaryClient => ({
    listTokenPhases,
    listBudget: options.listBudget,
    getSession(id, auth, signal) {
      checkSessionId(id);
      return read(scope, "sessions", id, auth, signal);
    },
    listSessions(p, auth, signal, peek) {
      checkScopeId(p.scopeId);
      if (p.listToken !== undefined) checkListToken(p.listToken);
      if (p.filter !== undefined) checkFilter(p.filter);
      const q = new URLSearchParams({ scope_id: p.scopeId });
      if (p.recursive) q.set("recursive", "true");
      if (p.filter !== undefined) q.set("filter", p.filter);
      if (p.includeTerminated) q.set("include_terminated", "true");
      if (p.pageSize !== undefined) q.set("page_size", String(p.pageSize));
      if (p.listToken !== undefined) q.set("list_token", p.listToken);
      // The budget is taken before the call and never waited for: a spent budget is an answer now.
      const taken = options.listBudget ? options.listBudget.take(scope?.lane ?? "query") : Promise.resolve();
      return taken
        .then(() =>
          request<WireListResponse<WireSession>>("GET", "GET /v1/sessions", `/v1/sessions?${q}`, auth, undefined, signal, scope, peek),
        )
        .then((page) => {
          if (page.response_type === undefined && !warnedPrePagination) {
            warnedPrePagination = true;
            options.onWarning?.(
              "The Boundary controller answered a list without response_type: it predates 0.15, the version that brings list pagination and refresh tokens. The gateway cuts listings to `first`/MAX_LIST_ITEMS, returns no listToken, and subscriptions re-list on every poll.",
            );
          }
          return page;
        });
    },
    cancelSession(id, version, auth, signal) {
      checkSessionId(id);
      // `:cancel` is a custom verb: the colon must stay literal, only the id is escaped.
      return request(
        "POST",
        "POST /v1/sessions/{id}:cancel",
        `/v1/sessions/${encodeURIComponent(id)}:cancel`,
        auth,
        { version },
        signal,
        scope,
      );
    },
    getScope(id, auth, signal) {
      checkScopeId(id, "id");
      return read(scope, "scopes", id, auth, signal);
    },
    getTarget(id, auth, signal) {
      // The controller also takes an alias value here; the gateway only reads by target id.
      checkResourceId("target", id);
      return read(scope, "targets", id, auth, signal);
    },
    getUser(id, auth, signal) {
      checkResourceId("user", id);
      return read(scope, "users", id, auth, signal);
    },
    getHost(id, auth, signal) {
      checkResourceId("host", id);
      return read(scope, "hosts", id, auth, signal);
    },
    getHostSet(id, auth, signal) {
      checkResourceId("hostSet", id);
      return read(scope, "host-sets", id, auth, signal);
    },
    getAuthToken(id, auth, signal) {
      checkResourceId("authToken", id);
      return read(scope, "auth-tokens", id, auth, signal);
    },
    async ping() {
      try {
        await attemptOnce("GET", "GET /v1/scopes", "/v1/scopes?scope_id=global", undefined, undefined, undefined, undefined);
        return 200;
      } catch (err) {
        if (err instanceof BoundaryApiError) return err.status;
        throw err;
      }
    },
    health() {
      // Waiting for a connection includes waiting for a bulkhead slot in front of the pool.
      const queued = pool.stats.queued + bulkhead.waiting();
      const sinceProgressMs = performance.now() - lastProgress;
      return { wedged: queued > 0 && sinceProgressMs > timeoutMs, queued, sinceProgressMs };
    },
    withScope: (next) => api(next),
    async close() {
      await pool.close();
    },
  });
  return api(undefined);
}

/** `work`, or a rejection as soon as `signal` aborts (`work` is then left to settle on its own). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** What a request carried, read back from what was sent (the path's query and the header). */
function sentFacts(path: string, auth: string | undefined): SentRequest {
  const q = path.indexOf("?");
  const query = q < 0 ? undefined : new URLSearchParams(path.slice(q + 1));
  return { credentials: auth !== undefined, listToken: query?.has("list_token") ?? false, filter: query?.has("filter") ?? false };
}

function parseErrorBody(text: string): WireError | undefined {
  if (text.trim() === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as WireError) : undefined;
  } catch {
    return undefined;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
