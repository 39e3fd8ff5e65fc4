/**
 * The gateway's HTTP server: Apollo Server on plain node:http, plus `/healthz`. Building is separate from
 * listening: `startGateway` takes port 0 and returns `{ url, stop }`; only main.ts picks ports or
 * handles signals.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Negotiator from "negotiator";
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { createBoundaryClient, type BoundaryClient, type BoundaryClientOptions } from "./boundary/client.js";
import { loadTrustedCas } from "./boundary/trust.js";
import { createListBudget } from "./boundary/list-budget.js";
import { readFile } from "node:fs/promises";
import { createCallScope } from "./boundary/call-scope.js";
import { BoundaryError } from "./boundary/errors.js";
import type { Config, TlsConfig } from "./config.js";
import { createMetrics } from "./metrics.js";
import { guardHooks } from "./guards/index.js";
import { createObservabilityPlugin, createRequestObserver } from "./observability.js";
import { createExplorer } from "./explorer/index.js";
import type { GatewayContext } from "./graphql/context.js";
import { createExecutionCore, type RequestHook } from "./execution/index.js";
import { createApolloExecution } from "./execution/apollo.js";
import { createFastPath } from "./transport/fast-path.js";
import { createDocumentResolver, loadPersistedDocuments, resolveHttpDocuments } from "./execution/documents.js";
import { formatErrors } from "./execution/errors.js";
import { createLogger, type Logger } from "./logger.js";
import { buildFederationSchema, buildGatewaySchema } from "./schema.js";
import { allowedHostsFor, createHostCheck } from "./host-policy.js";
import { createCors } from "./transport/cors.js";
import { readBodyWithin } from "./transport/body.js";
import { createSseHandler } from "./transport/sse.js";
import { attachSubscriptionServer } from "./transport/ws.js";
import { requestIdOf } from "./request-id.js";
import { createTracing, type HttpSpan } from "./tracing.js";
import { createLimiterFactory } from "./shared/limiter.js";
import type { SharedRedis } from "./shared/redis.js";

export interface GatewayOptions {
  /** Overrides `config.boundaryAddr` (demo mode passes the embedded emulator's URL). */
  boundaryAddr?: string;
  /** Overrides `config.boundaryToken` as the token for requests without one (demo mode: the admin's). */
  fallbackToken?: string;
  /** TLS settings towards the controller. */
  tls?: BoundaryClientOptions["tls"];
  logger?: Logger;
  /** Request hooks, in order, run for every operation of every transport (see src/execution/hooks.ts). */
  hooks?: readonly RequestHook[];
}

export interface Gateway {
  /** Base URL, e.g. `http://127.0.0.1:4000` (GraphQL is at `${url}/graphql`). */
  url: string;
  /** Base URL of the separate metrics listener (METRICS_PORT), if any; `/metrics` is under it. */
  metricsUrl?: string;
  /** Stop accepting, finish in-flight requests, close the upstream pool. */
  stop(): Promise<void>;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const boundaryAddr = options.boundaryAddr ?? config.boundaryAddr;
  if (boundaryAddr === undefined) throw new Error("startGateway needs a controller address (BOUNDARY_ADDR)");
  // Read before anything is opened: a bad manifest stops the start with nothing to close.
  const manifest = config.persistedDocuments === undefined ? undefined : await loadPersistedDocuments(config.persistedDocuments);

  const metrics = createMetrics();
  // REDIS_URL: state shared by replicas and workers (docs/scaling.md). Imported only when set, so a
  // single process never loads the Redis client.
  const redis: SharedRedis | undefined =
    config.redisUrl === undefined
      ? undefined
      : (await import("./shared/redis.js")).connectRedis({
          url: config.redisUrl,
          prefix: config.redisPrefix,
          keySecret: config.redisKeySecret,
          logger,
        });
  const createLimiter = createLimiterFactory(redis);
  // One poller per subscription key across processes (src/shared/live-sharing.ts).
  const liveSharing = redis && (await import("./shared/live-sharing.js")).createLiveSharing(redis, logger);
  if (redis) metrics.watchRedis(redis.up);
  const client: BoundaryClient = createBoundaryClient({
    baseUrl: boundaryAddr,
    timeoutMs: config.upstreamTimeoutMs,
    connectTimeoutMs: config.upstreamConnectTimeoutMs,
    retries: config.upstreamRetries,
    connections: config.upstreamConnections,
    maxPerRoute: config.upstreamMaxPerRoute,
    maxPerResource: config.upstreamMaxPerResource,
    onBulkheadWait: metrics.observeBulkheadWait,
    onBulkheadQueued: metrics.observeBulkheadQueued,
    tls: options.tls ?? (await loadTls(config.tls)),
    onCall: metrics.observeUpstream,
    onWarning: (message) => logger.warn(message),
    listBudget: createListBudget({
      points: config.upstreamListBudget,
      ...(redis ? { createLimiter: (points, duration) => createLimiter({ points, duration, keyPrefix: "list-budget" }) } : {}),
    }),
  });
  metrics.watchListBudget(client.listBudget!);
  const contextDeps = {
    client,
    fallbackToken: options.fallbackToken ?? config.boundaryToken,
    maxListItems: config.maxListItems,
    onBatch: metrics.observeBatch,
    maxUpstreamConcurrency: config.maxUpstreamConcurrencyPerRequest,
  };
  const acceptsHost = createHostCheck(allowedHostsFor(config.allowedHosts, config.host, contextDeps.fallbackToken !== undefined));
  const cors = createCors(config.corsOrigins);
  const readiness = createReadiness(client, config.readyCacheMs);
  // GraphiQL at /graphiql, its assets served from node_modules (no CDN); Sandbox stays on /graphql.
  const explorer = config.explorer ? await createExplorer({ logger, introspection: config.introspection }) : undefined;

  const httpServer = createServer({
    // Node's defaults (300 s for a request) let slow clients hold a body buffer each for minutes.
    requestTimeout: config.httpRequestTimeoutMs,
    headersTimeout: config.httpHeadersTimeoutMs,
    // How often Node checks those two deadlines (default 30 s, which would make them that coarse).
    connectionsCheckingInterval: Math.min(1_000, config.httpHeadersTimeoutMs),
  });
  httpServer.maxConnections = config.maxConnections;
  // METRICS_PORT: /metrics on a port of its own, which a deployment keeps off the public listener.
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : createServer((req, res) => {
          if (new URL(req.url ?? "/", "http://gateway.invalid").pathname !== "/metrics")
            return sendJson(res, 404, { error: "not found: metrics are at /metrics" });
          serveMetrics(res).catch((err: unknown) => {
            logger.error({ err }, "metrics failed");
            res.destroy();
          });
        });
  // Undefined when tracing is off: the one check the hot path makes.
  const tracing = config.tracing === undefined ? undefined : createTracing(config.tracing);
  const schema = config.federation ? await buildFederationSchema() : await buildGatewaySchema();
  // One core for every transport: Apollo's pipeline, the fast path and WebSocket prepare, limit, hook,
  // execute and format through it.
  const documents =
    manifest && createDocumentResolver({ documents: manifest, mode: config.persistedDocumentsMode, logger, metrics: metrics.registry });
  const guards = guardHooks(config, metrics, { createLimiter, keyOf: redis && ((t) => redis.keyOf(t)) }, options.hooks);
  const core = createExecutionCore({
    schema,
    limits: config.limits,
    contextDeps,
    logger,
    // Tracing first, so that refusals by the guards are traced too.
    hooks: tracing ? [tracing.hook, ...guards] : guards,
    documents,
    pagedListings: config.pagedListings,
  });
  const apolloExecution = createApolloExecution(core);
  const observe = createRequestObserver(logger, metrics);
  const fastPath = config.fastLane ? createFastPath(core, observe) : undefined;
  // Cleared when stopping: from then on Apollo answers everything (and refuses new operations).
  let accepting = true;
  const apollo = new ApolloServer<GatewayContext>({
    // One construction for both variants, so every plugin (the core's above all) applies to the subgraph too.
    // The schema comes through the gateway interface, whose executor is the core's.
    gateway: apolloExecution.gateway,
    introspection: config.introspection,
    // Kept on: it is what stops a browser on another origin from sending simple (form/GET) requests.
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: core.formatError,
    // Apollo's default re-raises SIGTERM and drops in-flight requests; main.ts drains instead.
    stopOnTerminationSignals: false,
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    // With Redis, a hash registered through one replica is served by all (the fast path leaves
    // persisted queries to Apollo, so this is the only APQ cache).
    ...(redis ? { persistedQueries: { cache: (await import("./shared/apq-cache.js")).createApqCache(redis) } } : {}),
    // Off unless enabled: an array body multiplies one request's cost past every per-operation limit.
    allowBatchedHttpRequests: config.allowBatchedRequests,
    // The parser stops at MAX_TOKENS: a document's parse (and all after it) is bounded by the limit.
    parseOptions: { maxTokens: config.limits.maxTokens },
    plugins: [
      // Apollo adds these by default; both hook every field resolution (cache hints, federated
      // traces) and this gateway uses neither, so they would only slow each field down.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      apolloExecution.plugin,
      createObservabilityPlugin(observe),
      config.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  // Subscriptions: graphql-ws on the upgrade of /graphql, outside Apollo (see src/ws.ts).
  const subscriptions = attachSubscriptionServer({
    httpServer,
    core,
    client,
    maxListItems: config.maxListItems,
    maxPayloadBytes: config.maxBodyBytes,
    acceptsHost,
    requestTimeoutMs: config.requestTimeoutMs,
    maxPollers: config.maxPollers,
    maxPollersPerToken: config.maxPollersPerToken,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    maxSocketBufferBytes: config.maxSocketBufferBytes,
    minIntervalMs: config.subscriptionMinIntervalMs,
    defaultIntervalMs: config.subscriptionDefaultIntervalMs,
    logger,
    metrics: metrics.registry,
    sharing: liveSharing,
  });

  // GraphQL over SSE on /graphql/stream, with the WebSocket transport's pollers (src/transport/sse.ts).
  const sse = createSseHandler({
    core,
    live: subscriptions.live,
    subscribe: subscriptions.subscribe,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    reservationTtlMs: config.httpRequestTimeoutMs,
    maxStreams: config.maxConnections,
    maxStreamsPerToken: config.maxPollersPerToken,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    maxBufferBytes: config.maxSocketBufferBytes,
    logger,
  });

  httpServer.on("request", (req, res) => {
    // Before any answer, so that every one carries it (refusals, probes and metrics included).
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    const span = tracing?.startHttp(req.method ?? "GET", routeOf(req.url), req.headers);
    if (span) res.once("close", () => span.end(res.statusCode));
    handle(req, res, requestId, span).catch((err: unknown) => {
      logger.error({ err, requestId }, "request handler failed");
      if (!res.headersSent)
        sendJson(res, 500, { errors: [{ message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      else res.destroy();
    });
  });

  /** The fast path's plan, or undefined for Apollo, which also answers whatever the planning trips on. */
  function planFast(req: IncomingMessage, body: unknown) {
    if (!fastPath) return undefined;
    try {
      return fastPath.plan(req.method, req.headers.accept, body);
    } catch (err) {
      logger.warn({ err }, "fast path could not plan a request; Apollo answers it");
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, span: HttpSpan | undefined): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    // Probes are exempt: a kubelet sends the pod's IP as Host, and they carry no data and use no token.
    if (url.pathname !== "/healthz" && url.pathname !== "/readyz" && !acceptsHost(req.headers.host)) {
      sendJson(res, 400, {
        errors: [{ message: "This Host is not served here: add it to ALLOWED_HOSTS.", extensions: { code: "BAD_REQUEST" } }],
      });
      return;
    }
    if (cors(req, res, url.pathname)) return;
    if (url.pathname === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (url.pathname === "/readyz") {
      const ready = await readiness();
      // Redis is reported, never a reason to be unready: without it the gateway serves from its own state.
      const shared = redis ? { redis: redis.up() ? "up" : "down" } : {};
      sendJson(
        res,
        ready.ok ? 200 : 503,
        ready.ok ? { status: "ready", ...shared } : { status: "unavailable", reason: ready.reason, ...shared },
      );
      return;
    }
    if (url.pathname === "/metrics" && metricsServer === undefined) {
      await serveMetrics(res);
      return;
    }
    if (explorer?.matches(url.pathname)) {
      await explorer.handle(req, res, url);
      return;
    }
    if (url.pathname === "/graphql/stream") {
      await sse.handle(req, res, requestId);
      return;
    }
    if (url.pathname !== "/graphql") {
      sendJson(res, 404, { error: "not found: GraphQL is served at /graphql" });
      return;
    }

    const body = await readBody(req, res, config.maxBodyBytes);
    if (body === null) return;
    // Trusted documents: ids become their text, and in enforce mode what is not listed stops here.
    if (core.documents) {
      const resolved = resolveHttpDocuments(core.documents, req.method, url.search, body.value);
      if ("error" in resolved) {
        // As Apollo answers a request error: in the media type the client prefers (Apollo Client 4 reads
        // a 400's errors only from application/graphql-response+json).
        const type =
          new Negotiator({ headers: { accept: req.headers.accept ?? "*/*" } }).mediaType([
            "application/json",
            "application/graphql-response+json",
          ]) ?? "application/json";
        const text = JSON.stringify({ errors: formatErrors([resolved.error], core.formatError).errors });
        res.writeHead(400, { "content-type": `${type}; charset=utf-8`, "content-length": Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      url.search = resolved.search;
      body.value = resolved.body;
    }

    const plan = accepting ? planFast(req, body.value) : undefined;
    if (plan) {
      const started = performance.now();
      const callScope = createCallScope(config.requestTimeoutMs);
      callScope.requestId = requestId;
      if (span) tracing!.bind(callScope, span.context);
      try {
        const written = whenWritten(res);
        const answer = await fastPath!.run(plan, req.headers, callScope, started);
        written(answer.done);
        // Encoded once: the length comes from the bytes that are sent (a listing's body can be 10 MiB),
        // a piece at a time (a paged listing's pieces are its pages).
        const pieces = answer.body.map((piece) => Buffer.from(piece));
        answer.headers["content-length"] = String(pieces.reduce((n, b) => n + b.length, 0));
        res.writeHead(answer.status, answer.headers);
        const last = pieces.pop()!;
        for (const piece of pieces) res.write(piece);
        res.end(last);
      } finally {
        callScope.end();
      }
      return;
    }

    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      headers,
      search: url.search,
      body: body.value,
    };
    // Every upstream call made for this request, retries included, ends by this deadline.
    const callScope = createCallScope(config.requestTimeoutMs);
    callScope.requestId = requestId;
    if (span) tracing!.bind(callScope, span.context);
    const written = whenWritten(res);
    const response = await apollo
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: async () => apolloExecution.context(req.headers, callScope, written),
      })
      .finally(callScope.end);
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      // A length rather than chunked encoding: head and body leave in one write.
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  async function serveMetrics(res: ServerResponse): Promise<void> {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType });
    res.end(text);
  }

  const url = await listen(httpServer, config.port, config.host);
  const metricsUrl = metricsServer === undefined ? undefined : await listen(metricsServer, config.metricsPort!, config.host);

  let stopping: Promise<void> | undefined;
  return {
    url,
    metricsUrl,
    stop() {
      stopping ??= (async () => {
        accepting = false;
        // Open event streams and sockets would hold the HTTP drain below: end them (and stop every
        // poller) first. Streams before sockets: closing the sockets stops the pollers both share.
        await sse.close();
        await subscriptions.close();
        // Drains the HTTP server (the drain plugin) and waits for in-flight operations.
        await apollo.stop();
        await client.close();
        await liveSharing?.close();
        await redis?.close();
        if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        // Exports the spans still buffered.
        await tracing?.shutdown();
      })();
      return stopping;
    },
  };
}

/**
 * Runs functions once the response has been written out (its last byte handed to the socket) or its
 * connection closed, whichever comes first; at once when that has already happened. The hooks' `after`
 * runs there: an admission slot given back before a 10 MiB answer has left would let the next listing
 * build its own while this one still sits in memory.
 */
function whenWritten(res: ServerResponse): (fn: () => void) => void {
  let closed = false;
  const pending: (() => void)[] = [];
  // 'close' follows 'finish' for a completed response, and comes alone when the client goes away.
  res.once("close", () => {
    closed = true;
    for (const fn of pending.splice(0)) fn();
  });
  return (fn) => {
    if (closed) fn();
    else pending.push(fn);
  };
}

/** `/readyz`: whether the controller answers (any HTTP status below 500), probed at most once per
 * `cacheMs` so that frequent probes never hammer it. A wedged pool (calls queued, none settled for
 * longer than the upstream timeout) is unavailable at once, without a probe that would queue behind it;
 * the probe itself is bounded by the client (ping). */
function createReadiness(client: BoundaryClient, cacheMs: number): () => Promise<{ ok: boolean; reason?: string }> {
  let last: { at: number; result: Promise<{ ok: boolean; reason?: string }> } | undefined;
  return () => {
    if (client.health().wedged) return Promise.resolve({ ok: false, reason: "upstream pool wedged" });
    const now = Date.now();
    if (last && now - last.at < cacheMs) return last.result;
    const result = client.ping().then(
      (status) => (status < 500 ? { ok: true } : { ok: false, reason: `controller answered ${status}` }),
      (err: unknown) => ({ ok: false, reason: err instanceof BoundaryError ? err.code : "controller unreachable" }),
    );
    last = { at: now, result };
    return result;
  };
}

async function loadTls(tls: TlsConfig): Promise<BoundaryClientOptions["tls"]> {
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path, "utf8"));
  const [ca, cert, key] = await Promise.all([
    loadTrustedCas(tls.caCertPath, tls.caPath),
    read(tls.clientCertPath),
    read(tls.clientKeyPath),
  ]);
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
    rejectUnauthorized: !tls.insecure,
  };
}

/** The route of a request for its span: a fixed set, so that client-chosen paths never become names. */
function routeOf(rawUrl: string | undefined): string {
  const path = (rawUrl ?? "/").split("?", 1)[0]!;
  return path === "/graphql" || path === "/healthz" || path === "/readyz" || path === "/metrics" || path === "/graphiql" ? path : "other";
}

/** Listen on `port` (0: any free one) and `host`; the base URL clients use. */
async function listen(server: Server, port: number, hostname: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host === "0.0.0.0" || host === "[::]" ? "localhost" : host}:${address.port}`;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads the request body within `limit` bytes. JSON bodies are parsed here (as the standalone server's
 * body-parser would); a body of another type is handed to Apollo as undefined, which refuses it.
 * Returns null when it already answered (413 or 400).
 */
async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<{ value: unknown } | null> {
  const read = await readBodyWithin(req, res, limit);
  if (read === null) return null;
  if (read.size === 0) return { value: undefined };
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !type.endsWith("+json")) return { value: undefined };
  try {
    return { value: JSON.parse(Buffer.concat(read.chunks).toString("utf8")) };
  } catch {
    sendJson(res, 400, { errors: [{ message: "The request body is not valid JSON.", extensions: { code: "BAD_REQUEST" } }] });
    return null;
  }
}
