/**
 * Configuration, parsed and validated once from an environment object. No other module reads
 * `process.env`: `main.ts` passes it in, tests pass plain objects.
 */

export interface Config {
  /** `PORT`: port of the GraphQL server. Default 4000; 0 picks a free port. */
  readonly port: number;
  /** `HOST`: interface to bind. Default "0.0.0.0" (all interfaces), as a container expects. */
  readonly host: string;
  /** `BOUNDARY_ADDR`: the controller's base URL. Unset -> the embedded demo emulator. */
  readonly boundaryAddr: string | undefined;
  /** `BOUNDARY_TOKEN`: bearer token used only for GraphQL requests that carry no Authorization header. */
  readonly boundaryToken: string | undefined;
  /**
   * `DEMO`: with `NODE_ENV=production`, allow demo mode (BOUNDARY_ADDR unset: the embedded emulator's
   * made-up data, and callers without a token act as its admin). Default false: a production gateway
   * without BOUNDARY_ADDR refuses to start, since a misspelt variable must not publish an admin.
   * Outside production BOUNDARY_ADDR unset always means demo mode.
   */
  readonly demo: boolean;
  /** `UPSTREAM_TIMEOUT_MS`: deadline of one upstream call (connect to last body byte). Default 10000. */
  readonly upstreamTimeoutMs: number;
  /** `MAX_LIST_ITEMS`: most sessions one `sessions` field gathers by following list tokens. Default 10000. */
  readonly maxListItems: number;
  /** `UPSTREAM_CONNECTIONS`: size of the keep-alive connection pool to the controller. Default 32. */
  readonly upstreamConnections: number;
  /** `UPSTREAM_MAX_PER_ROUTE`: most upstream calls of one route template (e.g. `GET /v1/sessions/{id}`) in
   * flight, so one slow endpoint leaves connections to the others. Default 3/4 of `UPSTREAM_CONNECTIONS`. */
  readonly upstreamMaxPerRoute: number | undefined;
  /** `UPSTREAM_MAX_PER_RESOURCE`: most upstream calls of one resource (route template + id) in flight.
   * Default 1/4 of `UPSTREAM_CONNECTIONS`. */
  readonly upstreamMaxPerResource: number | undefined;
  /** `NODE_ENV`: "production" turns the landing page off and introspection off unless enabled. */
  readonly nodeEnv: string;
  /** `INTROSPECTION`: allow schema introspection. Default true, false in production. */
  readonly introspection: boolean;
  /** `LANDING_PAGE`: serve the Apollo Sandbox landing page on GET /graphql from browsers.
   * Default true, false in production. */
  readonly landingPage: boolean;
  /** `EXPLORER`: serve the offline GraphiQL explorer at GET /graphiql (its assets come from the gateway,
   * never a CDN). Default true, false in production. */
  readonly explorer: boolean;
  /** `MAX_BODY_BYTES`: largest accepted request body; larger -> 413. Default 1 MiB. */
  readonly maxBodyBytes: number;
  /** `LOG_LEVEL`: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  readonly logLevel: LogLevel;
  /** OpenTelemetry tracing: undefined (off, the default) unless OTEL_EXPORTER_OTLP_ENDPOINT,
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set (see docs/operations.md). */
  readonly tracing: TracingConfig | undefined;
  /** `REQUEST_TIMEOUT_MS`: overall deadline of one GraphQL request's upstream work, retries included. Default 20000. */
  readonly requestTimeoutMs: number;
  /** `UPSTREAM_CONNECT_TIMEOUT_MS`: deadline of opening a connection to the controller. Default 3000. */
  readonly upstreamConnectTimeoutMs: number;
  /** `UPSTREAM_RETRIES`: retries of a failed read (connection errors, 429, 502-504). Default 2. */
  readonly upstreamRetries: number;
  /** `UPSTREAM_LIST_BUDGET`: list calls to the controller per 30 s, for the whole process (queries and
   * pollers). Default 600, well below the controller's 1500 per IP (internal/ratelimit/config.go), so other
   * clients behind the same quota keep theirs. */
  readonly upstreamListBudget: number;
  /** Admission by cost (src/guards/admission.ts). */
  readonly admission: {
    /** MAX_INFLIGHT_COST: estimated cost running at once in the heavy lane. Default 10: a whole listing of
     * 10,000 sessions costs 10, so one runs at once and the rest wait or get OVERLOADED; with two to
     * four at once their event-loop blocks stack up and cheap reads wait (docs/performance.md, scenario 6). */
    readonly maxInflightCost: number;
    /** ADMISSION_CHEAP_COST: at or below it, the cheap lane. Default 5: `session(id)` with scope, parent,
     * target and user costs 4. */
    readonly cheapCost: number;
    /** ADMISSION_TIMEOUT_MS: longest wait for admission before OVERLOADED. Default 500: a listing admitted
     * at the end of its wait still needs about 1 s to run under a burst, and the target is an answer or a
     * refusal within 2 s (docs/performance.md, scenario 6). */
    readonly timeoutMs: number;
  };
  /** RATE_LIMIT_COST_PER_MINUTE: estimated cost one token may spend per minute; undefined: no limit. */
  readonly rateLimitCostPerMinute: number | undefined;
  /** Query limits, checked before any upstream call. */
  readonly limits: QueryLimits;
  /** `ALLOW_BATCHED_REQUESTS`: accept JSON arrays of operations in one POST. Default false. */
  readonly allowBatchedRequests: boolean;
  /** TLS towards the controller, with the variable names of Boundary's CLI. */
  readonly tls: TlsConfig;
  /** `READY_CACHE_MS`: how long `/readyz` reuses its last probe of the controller. Default 2000. */
  readonly readyCacheMs: number;
  /** `SHUTDOWN_TIMEOUT_MS`: how long a SIGTERM/SIGINT drain may take before the process exits anyway. Default 10000. */
  readonly shutdownTimeoutMs: number;
  /** `WORKERS`: gateway processes (node:cluster) sharing the port. Default 1 (no cluster). */
  readonly workers: number;
  /** `REDIS_URL`: Redis holding the state replicas and workers share (list budget, persisted queries), e.g.
   * `redis://127.0.0.1:6379`. Unset: all state stays in this process and Redis is never loaded. */
  readonly redisUrl: string | undefined;
  /** `REDIS_PREFIX`: prefix of every key the gateway writes, so deployments can share one Redis.
   * Default "boundary-graphql:". */
  readonly redisPrefix: string;
  /** `REDIS_KEY_SECRET`: secret of the keyed hash that stands for a token in Redis key names (tokens
   * never go to Redis). Unset: a random one, stored once in Redis and shared by every replica. */
  readonly redisKeySecret: string | undefined;
  /** `FEDERATION`: serve the schema as an Apollo Federation 2 subgraph (entities with `@key(fields: "id")`). Default false. */
  readonly federation: boolean;
  /** `MAX_UPSTREAM_CONCURRENCY_PER_REQUEST`: most upstream reads one GraphQL request keeps in flight at once. Default 16. */
  readonly maxUpstreamConcurrencyPerRequest: number;
  /** `SUBSCRIPTION_MIN_INTERVAL_MS`: shortest poll interval a subscription may ask for (shorter is raised to it). Default 500. */
  readonly subscriptionMinIntervalMs: number;
  /** `SUBSCRIPTION_DEFAULT_INTERVAL_MS`: poll interval of a subscription that names none (at least the minimum). Default 2000. */
  readonly subscriptionDefaultIntervalMs: number;
  /** `MAX_POLLERS`: most live pollers (one per token and subscription arguments) in this process. Default 200. */
  readonly maxPollers: number;
  /** `MAX_POLLERS_PER_TOKEN`: most live pollers one token may hold, so one client cannot take every MAX_POLLERS slot. Default 20. */
  readonly maxPollersPerToken: number;
  /** `MAX_SUBSCRIPTIONS_PER_CONNECTION`: most open subscriptions on one WebSocket. Default 100. */
  readonly maxSubscriptionsPerConnection: number;
  /** `MAX_SOCKET_BUFFER_BYTES`: a WebSocket whose unsent data passes this (a client that stops reading) is closed. Default 4 MiB. */
  readonly maxSocketBufferBytes: number;
  /** `FAST_LANE`: serve plain POST queries and mutations whose document is already parsed, validated and
   * within the limits on the gateway's own lean path (src/transport/fast-path.ts) instead of Apollo's
   * request pipeline; the answers are the same. Default true; false sends everything through Apollo. */
  readonly fastLane: boolean;
  /** `PAGED_LISTINGS`: on the fast lane, run a whole listing (`sessions` without `first` or `after`, the
   * only root field) page by page and write its items page by page (src/execution/paged.ts), so it holds
   * about one page at a time. Default true; false runs it as one execution. The answers are the same. */
  readonly pagedListings: boolean;
  /** `ALLOWED_HOSTS`: comma-separated host names the gateway answers to (the `Host` header, port ignored),
   * checked on every request but `/healthz` and `/readyz`; `*` answers any. Default: when a fallback token
   * is in effect (`BOUNDARY_TOKEN`, or demo mode), the listen host (unless a wildcard), `localhost`,
   * `127.0.0.1` and `::1`, so a DNS-rebinding page cannot borrow that token; otherwise any host. */
  readonly allowedHosts: readonly string[] | undefined;
  /** `METRICS_PORT`: serve `/metrics` on this port (same HOST) instead of the GraphQL port; 0 picks a free
   * one. Unset: `/metrics` stays on the GraphQL port. */
  readonly metricsPort: number | undefined;
  /** `HTTP_REQUEST_TIMEOUT_MS`: longest time a client may take to send one whole request (headers and
   * body) before the connection is closed with 408. Default 30000 (Node's own default is 300000). */
  readonly httpRequestTimeoutMs: number;
  /** `HTTP_HEADERS_TIMEOUT_MS`: longest time a client may take to send a request's headers. Default 10000. */
  readonly httpHeadersTimeoutMs: number;
  /** `MAX_CONNECTIONS`: most open client connections (HTTP and WebSocket together); more are refused at
   * accept. Default 1024. */
  readonly maxConnections: number;
  /** `PERSISTED_DOCUMENTS`: path of a trusted-document manifest in Apollo's persisted query manifest format
   * (`npm run manifest` writes one); its ids resolve to its documents on every transport. Read and checked
   * at start. Unset: no manifest, and persisted queries work as Apollo's APQ alone (docs/operations.md). */
  readonly persistedDocuments: string | undefined;
  /** `PERSISTED_DOCUMENTS_MODE`: `enforce` runs only the manifest's documents; `log` runs everything and logs
   * and counts what `enforce` would refuse. Default `log`: as Apollo Router, a manifest alone refuses nothing,
   * so a deployment can watch the count reach zero before it enforces. Ignored without a manifest. */
  readonly persistedDocumentsMode: "enforce" | "log";
  /** `CORS_ORIGINS`: comma-separated exact origins (`https://console.example.com`) whose pages may call
   * `/graphql` and `/graphql/stream` from a browser, without credentials (src/transport/cors.ts). Unset:
   * no CORS headers at all. */
  readonly corsOrigins: readonly string[] | undefined;
}

export interface QueryLimits {
  /** `MAX_DEPTH`: deepest field nesting. Default 10. */
  readonly maxDepth: number;
  /** `MAX_ALIASES`: most aliased fields in one operation. Default 30. */
  readonly maxAliases: number;
  /** `MAX_ROOT_FIELDS`: most top-level fields in one operation. Default 20. */
  readonly maxRootFields: number;
  /** `MAX_COST`: largest estimated cost (about one unit per upstream read). Default 5000. */
  readonly maxCost: number;
  /** `MAX_TOKENS`: most lexical tokens a query document may have; the parser stops there, so a huge
   * document costs no more to refuse than a small one (HTTP, the fast lane and WebSocket). Default 5000
   * (always set by loadConfig; optional only for limits built by hand, which then parse without it). */
  readonly maxTokens?: number;
}

export interface TlsConfig {
  /** `BOUNDARY_CACERT`: path of a PEM file of CA certificates to trust for the controller. */
  readonly caCertPath: string | undefined;
  /** `BOUNDARY_CAPATH`: path of a directory of PEM CA files (every file, subdirectories included), as
   * Boundary's CLI reads it; ignored when BOUNDARY_CACERT is set, as there. Default unset. */
  readonly caPath: string | undefined;
  /** `BOUNDARY_CLIENT_CERT`: path of a PEM client certificate (mutual TLS). */
  readonly clientCertPath: string | undefined;
  /** `BOUNDARY_CLIENT_KEY`: path of the PEM key of that certificate. */
  readonly clientKeyPath: string | undefined;
  /** `BOUNDARY_TLS_INSECURE`: skip verification of the controller's certificate. Default false. */
  readonly insecure: boolean;
  /** `BOUNDARY_TLS_SERVER_NAME`: name to send (SNI) and verify instead of the address's host. */
  readonly serverName: string | undefined;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export interface TracingConfig {
  /** OTEL_SERVICE_NAME, default `boundary-graphql`. */
  readonly serviceName: string;
  /** Where spans are POSTed (OTLP/HTTP); undefined: the exporter's default, http://localhost:4318/v1/traces. */
  readonly tracesUrl: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parse `env` into a frozen Config, or throw a ConfigError that names every bad variable (never its
 * value when the variable is a secret). */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return def;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(env[name])} must be true or false`);
    return def;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[], def: T): T => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return def;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name}=${JSON.stringify(env[name])} must be one of ${values.join(", ")}`);
    return def;
  };

  const nodeEnv = text("NODE_ENV") ?? "development";
  const production = nodeEnv === "production";

  let boundaryAddr = text("BOUNDARY_ADDR");
  if (boundaryAddr !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(boundaryAddr);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
      problems.push(`BOUNDARY_ADDR=${JSON.stringify(boundaryAddr)} must be an http(s) URL such as https://boundary.example.com:9200`);
      boundaryAddr = undefined;
    } else if (url.username || url.password) {
      // Never echo it: credentials in a URL are a secret.
      problems.push("BOUNDARY_ADDR must not carry credentials; use BOUNDARY_TOKEN");
      boundaryAddr = undefined;
    } else {
      // Like Boundary's Go client: a trailing "/v1" (or slash) on the address is dropped.
      boundaryAddr = url.origin + url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
    }
  }

  const redisUrl = (raw: string | undefined): string | undefined => {
    if (raw === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      parsed = undefined;
    }
    // Not echoed: a Redis URL may carry a password.
    if (!parsed || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")) {
      problems.push("REDIS_URL must be a redis:// or rediss:// URL (value not shown)");
      return undefined;
    }
    return raw;
  };

  const boundaryToken = text("BOUNDARY_TOKEN");
  // Visible characters only: anything else is no header value, and the upstream client would refuse
  // every request that falls back on it.
  if (boundaryToken !== undefined && !/^[\x21-\x7e\x80-\xff]+$/.test(boundaryToken)) {
    problems.push("BOUNDARY_TOKEN must be a single token of visible characters, without spaces (value not shown)");
  }

  const rawLevel = text("LOG_LEVEL")?.toLowerCase() ?? "info";
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : "info";
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} must be one of ${LOG_LEVELS.join(", ")}`);

  // The OpenTelemetry specification's variables: an endpoint (or the otlp exporter named) turns tracing on.
  const otlpTraces = text("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const otlpBase = text("OTEL_EXPORTER_OTLP_ENDPOINT");
  const tracesExporter = text("OTEL_TRACES_EXPORTER")?.toLowerCase();
  const tracing: TracingConfig | undefined =
    otlpTraces !== undefined || otlpBase !== undefined || tracesExporter === "otlp"
      ? Object.freeze({
          serviceName: text("OTEL_SERVICE_NAME") ?? "boundary-graphql",
          // The base endpoint gets the signal's path appended; the per-signal one is used as given (OTLP exporter spec).
          tracesUrl: otlpTraces ?? (otlpBase === undefined ? undefined : `${otlpBase.replace(/\/+$/, "")}/v1/traces`),
        })
      : undefined;
  if (tracesExporter !== undefined && tracesExporter !== "otlp" && tracesExporter !== "none")
    problems.push(`OTEL_TRACES_EXPORTER=${JSON.stringify(tracesExporter)} must be otlp or none`);

  const config: Config = {
    port: int("PORT", 4000, 0, 65535),
    host: text("HOST") ?? "0.0.0.0",
    boundaryAddr,
    boundaryToken,
    demo: bool("DEMO", false),
    upstreamTimeoutMs: int("UPSTREAM_TIMEOUT_MS", 10_000, 1, 600_000),
    maxListItems: int("MAX_LIST_ITEMS", 10_000, 1, 1_000_000),
    upstreamConnections: int("UPSTREAM_CONNECTIONS", 32, 1, 1024),
    upstreamMaxPerRoute: text("UPSTREAM_MAX_PER_ROUTE") === undefined ? undefined : int("UPSTREAM_MAX_PER_ROUTE", 1, 1, 1024),
    upstreamMaxPerResource: text("UPSTREAM_MAX_PER_RESOURCE") === undefined ? undefined : int("UPSTREAM_MAX_PER_RESOURCE", 1, 1, 1024),
    nodeEnv,
    introspection: bool("INTROSPECTION", !production),
    landingPage: bool("LANDING_PAGE", !production),
    explorer: bool("EXPLORER", !production),
    maxBodyBytes: int("MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel,
    tracing: tracesExporter === "none" ? undefined : tracing,
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", 20_000, 1, 600_000),
    upstreamConnectTimeoutMs: int("UPSTREAM_CONNECT_TIMEOUT_MS", 3_000, 1, 600_000),
    upstreamRetries: int("UPSTREAM_RETRIES", 2, 0, 10),
    upstreamListBudget: int("UPSTREAM_LIST_BUDGET", 600, 1, 10_000_000),
    admission: Object.freeze({
      maxInflightCost: int("MAX_INFLIGHT_COST", 10, 1, 100_000_000),
      cheapCost: int("ADMISSION_CHEAP_COST", 5, 0, 100_000_000),
      timeoutMs: int("ADMISSION_TIMEOUT_MS", 500, 0, 600_000),
    }),
    rateLimitCostPerMinute:
      text("RATE_LIMIT_COST_PER_MINUTE") === undefined ? undefined : int("RATE_LIMIT_COST_PER_MINUTE", 0, 1, 1_000_000_000),
    limits: Object.freeze({
      maxDepth: int("MAX_DEPTH", 10, 1, 1000),
      maxAliases: int("MAX_ALIASES", 30, 0, 100_000),
      maxRootFields: int("MAX_ROOT_FIELDS", 20, 1, 100_000),
      maxCost: int("MAX_COST", 5_000, 1, 100_000_000),
      maxTokens: int("MAX_TOKENS", 5_000, 100, 1_000_000),
    }),
    allowBatchedRequests: bool("ALLOW_BATCHED_REQUESTS", false),
    tls: Object.freeze({
      caCertPath: text("BOUNDARY_CACERT"),
      caPath: text("BOUNDARY_CAPATH"),
      clientCertPath: text("BOUNDARY_CLIENT_CERT"),
      clientKeyPath: text("BOUNDARY_CLIENT_KEY"),
      insecure: bool("BOUNDARY_TLS_INSECURE", false),
      serverName: text("BOUNDARY_TLS_SERVER_NAME"),
    }),
    readyCacheMs: int("READY_CACHE_MS", 2_000, 0, 600_000),
    shutdownTimeoutMs: int("SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    workers: int("WORKERS", 1, 1, 64),
    redisUrl: redisUrl(text("REDIS_URL")),
    redisPrefix: text("REDIS_PREFIX") ?? "boundary-graphql:",
    redisKeySecret: text("REDIS_KEY_SECRET"),
    federation: bool("FEDERATION", false),
    maxUpstreamConcurrencyPerRequest: int("MAX_UPSTREAM_CONCURRENCY_PER_REQUEST", 16, 1, 256),
    subscriptionMinIntervalMs: int("SUBSCRIPTION_MIN_INTERVAL_MS", 500, 1, 3_600_000),
    subscriptionDefaultIntervalMs: int("SUBSCRIPTION_DEFAULT_INTERVAL_MS", 2_000, 1, 3_600_000),
    maxPollers: int("MAX_POLLERS", 200, 1, 100_000),
    maxPollersPerToken: int("MAX_POLLERS_PER_TOKEN", 20, 1, 100_000),
    maxSubscriptionsPerConnection: int("MAX_SUBSCRIPTIONS_PER_CONNECTION", 100, 1, 100_000),
    maxSocketBufferBytes: int("MAX_SOCKET_BUFFER_BYTES", 4 * 1024 * 1024, 1_024, 1024 * 1024 * 1024),
    fastLane: bool("FAST_LANE", true),
    pagedListings: bool("PAGED_LISTINGS", true),
    allowedHosts: hostList(text("ALLOWED_HOSTS")),
    metricsPort: text("METRICS_PORT") === undefined ? undefined : int("METRICS_PORT", 0, 0, 65535),
    httpRequestTimeoutMs: int("HTTP_REQUEST_TIMEOUT_MS", 30_000, 1_000, 3_600_000),
    httpHeadersTimeoutMs: int("HTTP_HEADERS_TIMEOUT_MS", 10_000, 1_000, 3_600_000),
    maxConnections: int("MAX_CONNECTIONS", 1024, 1, 1_000_000),
    persistedDocuments: text("PERSISTED_DOCUMENTS"),
    persistedDocumentsMode: oneOf("PERSISTED_DOCUMENTS_MODE", ["log", "enforce"] as const, "log"),
    corsOrigins: originList(text("CORS_ORIGINS")),
  };
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    problems.push("HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS");
  }
  if ((config.tls.clientCertPath === undefined) !== (config.tls.clientKeyPath === undefined)) {
    problems.push("BOUNDARY_CLIENT_CERT and BOUNDARY_CLIENT_KEY must be set together");
  }
  if (production && text("BOUNDARY_ADDR") === undefined && !config.demo) {
    problems.push(
      "BOUNDARY_ADDR is unset with NODE_ENV=production: set BOUNDARY_ADDR to the controller's URL, or DEMO=true to serve the embedded emulator's demo data",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** `ALLOWED_HOSTS` as lower-case names without ports; undefined when unset (the default applies) and
 * `["*"]` for any host. */
function hostList(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw
    .split(",")
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, "$1"),
    )
    .filter((h) => h !== "");
  return Object.freeze(names);
}

/** `CORS_ORIGINS` as exact origins (a browser's `Origin` header: scheme, host and port, no path); a
 * trailing slash is dropped. Undefined when unset. */
function originList(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  return Object.freeze(
    raw
      .split(",")
      .map((o) => o.trim().replace(/\/$/, ""))
      .filter((o) => o !== ""),
  );
}
