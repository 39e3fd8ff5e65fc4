/**
 * GraphQL subscriptions over WebSocket: the graphql-ws protocol (`graphql-transport-ws`) on `/graphql`,
 * attached to the gateway's own http.Server. Apollo Server does not see these operations, so what its
 * pipeline does for HTTP is done here: parse, validate, query limits, the one error formatter, and a
 * call scope with a deadline around every upstream read.
 *
 * Each event is executed with a context of its own, whose loaders are made for that event: neighbours
 * (`Session.user`, `scope.parent`, …) are read per event and nothing is cached from one event to the
 * next. Subscribers of one poller receive the same event object, so they share that event's loaders,
 * and those that sent the same operation share one execution of it (see `subscribe`).
 */
import type { IncomingHttpHeaders, IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  GraphQLError,
  createSourceEventStream,
  execute,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { Counter, type Registry } from "prom-client";
import { useServer } from "graphql-ws/use/ws";
import { WebSocket, WebSocketServer } from "ws";
import { createCallScope } from "./boundary/call-scope.js";
import { isValidHeaderValue, type BoundaryClient } from "./boundary/client.js";
import type { QueryLimits } from "./config.js";
import { createContextFactory, lendsFallback, type ContextDeps, type GatewayContext } from "./context.js";
import { GatewayErrorCode, createErrorFormatter, gatewayError } from "./graphql/errors.js";
import { checkLimits, createCostEstimator } from "./graphql/limits.js";
import type { LiveContext } from "./graphql/resolvers/subscription.resolver.js";
import { createLiveRegistry, type LiveRegistry } from "./live/registry.js";
import { createLoaders, type Loaders } from "./graphql/loaders/index.js";
import type { Logger } from "./logger.js";

export interface SubscriptionServerOptions {
  httpServer: Server;
  /** The schema Apollo serves (the same object, so both transports run the same resolvers). */
  schema: GraphQLSchema;
  /** What the HTTP context factory is built from; the token fallback applies as over HTTP (see onConnect). */
  contextDeps: ContextDeps;
  limits: QueryLimits;
  maxListItems: number;
  /** Largest WebSocket message accepted (MAX_BODY_BYTES). */
  maxPayloadBytes: number;
  /** Deadline of one poll's upstream calls and of one event's execution (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** MAX_POLLERS, SUBSCRIPTION_MIN_INTERVAL_MS, SUBSCRIPTION_DEFAULT_INTERVAL_MS. */
  maxPollers: number;
  /** MAX_POLLERS_PER_TOKEN: most pollers one token holds. Default: maxPollers. */
  maxPollersPerToken?: number;
  /** MAX_SUBSCRIPTIONS_PER_CONNECTION: most open subscriptions on one socket. Default 100. */
  maxSubscriptionsPerConnection?: number;
  /** MAX_SOCKET_BUFFER_BYTES: a socket with more unsent bytes than this is closed (4429). Default 4 MiB. */
  maxSocketBufferBytes?: number;
  minIntervalMs: number;
  defaultIntervalMs: number;
  logger: Logger;
  metrics?: Registry;
  /** ALLOWED_HOSTS, checked on every upgrade as on every HTTP request (see src/host-policy.ts). */
  acceptsHost?: (host: string | undefined) => boolean;
  /** Server pings every this many ms and drops a peer that does not answer within as long. Default 12 000. */
  keepAliveMs?: number;
}

export interface SubscriptionServer {
  readonly live: LiveRegistry;
  /** Stops accepting sockets, closes open ones (1001 Going Away) and stops every poller. */
  close(): Promise<void>;
}

/** How long open sockets get to finish their closing handshake at shutdown before they are cut. */
const CLOSE_GRACE_MS = 1_000;

/** Close code of a socket whose reader fell too far behind (MAX_SOCKET_BUFFER_BYTES). */
export const SLOW_READER_CLOSE_CODE = 4429;

export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { httpServer, schema, logger } = options;
  const live = createLiveRegistry({
    client: options.contextDeps.client,
    logger,
    maxPollers: options.maxPollers,
    maxPollersPerToken: options.maxPollersPerToken,
    minIntervalMs: options.minIntervalMs,
    defaultIntervalMs: options.defaultIntervalMs,
    maxListItems: options.maxListItems,
    pollTimeoutMs: options.requestTimeoutMs,
    metrics: options.metrics,
  });
  const withFallback = createContextFactory(options.contextDeps);
  const withoutFallback = createContextFactory({ ...options.contextDeps, fallbackToken: undefined });
  const formatError = createErrorFormatter(logger);
  const estimator = createCostEstimator(options.maxListItems);
  /** The base context of each connection, decided at `connection_init`. */
  const connections = new WeakMap<object, () => GatewayContext>();
  /** One set of loaders per event (per event object: per poller and view), so its subscribers share it. */
  const eventLoaders = new WeakMap<object, { auth: string | undefined; loaders: Loaders }>();
  /**
   * One execution per event and distinct operation (document text, operation name, variables): the
   * subscribers of one poller that sent the same operation share its result instead of each executing
   * the event (and reading its neighbours) again.
   */
  const eventResults = new WeakMap<object, { auth: string | undefined; results: Map<string, Promise<ExecutionResult>> }>();
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 100;
  // What events cost: executions, not subscribers (identical subscriptions share one).
  const executions = options.metrics
    ? new Counter({ name: "graphql_subscription_executions_total", help: "Executions of subscription events (one per event and distinct operation, shared by its subscribers).", registers: [options.metrics] })
    : undefined;
  const maxBuffer = options.maxSocketBufferBytes ?? 4 * 1024 * 1024;

  const loadersFor = (event: unknown, auth: string | undefined, client: BoundaryClient): Loaders => {
    const make = () => createLoaders(client, auth, { onBatch: options.contextDeps.onBatch, concurrency: options.contextDeps.maxUpstreamConcurrency });
    if (typeof event !== "object" || event === null) return make();
    const cached = eventLoaders.get(event);
    // Pollers are per token, so an event never reaches two tokens; checked all the same.
    if (cached && cached.auth === auth) return cached.loaders;
    const loaders = make();
    eventLoaders.set(event, { auth, loaders });
    return loaders;
  };

  const format = (error: GraphQLError): GraphQLFormattedError => {
    const json = error.toJSON();
    // As Apollo does: `extensions.http` steers an HTTP status and is not part of the answer.
    if (json.extensions && "http" in json.extensions) {
      const { http: _http, ...extensions } = json.extensions;
      return formatError({ ...json, extensions }, error);
    }
    return formatError(json, error);
  };

  /** graphql-js's `subscribe`, except that each event runs with a fresh context and a deadline. */
  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const base = args.contextValue as LiveContext;
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const source = stream[Symbol.asyncIterator]();
    const text = args.document.loc?.source.body;
    const operationKey = text === undefined ? undefined : JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null]);
    const run = (event: unknown): Promise<ExecutionResult> => {
      if (operationKey === undefined || typeof event !== "object" || event === null) return executeEvent(event);
      let shared = eventResults.get(event);
      // Pollers are per token, so an event never reaches two tokens; checked all the same.
      if (!shared || shared.auth !== base.auth) {
        shared = { auth: base.auth, results: new Map() };
        eventResults.set(event, shared);
      }
      let result = shared.results.get(operationKey);
      if (!result) {
        result = executeEvent(event);
        shared.results.set(operationKey, result);
      }
      return result;
    };
    const executeEvent = (event: unknown): Promise<ExecutionResult> => {
      executions?.inc();
      const callScope = createCallScope(options.requestTimeoutMs);
      const client = options.contextDeps.client.withScope(callScope);
      const contextValue: LiveContext = { ...base, client, callScope, loaders: loadersFor(event, base.auth, client) };
      return Promise.resolve(execute({ ...args, rootValue: event, contextValue })).finally(callScope.end);
    };
    return mapEvents(source, run);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  // A client that stops reading would otherwise have every event buffered for it without bound. Checked
  // after each send, not before: the events of many subscriptions are sent in one burst.
  wss.on("connection", (socket: WebSocket) => {
    const send = socket.send.bind(socket) as (data: unknown, cb?: (err?: Error) => void) => void;
    socket.send = ((data: unknown, cb?: (err?: Error) => void) => {
      send(data, cb);
      if (socket.bufferedAmount <= maxBuffer || socket.readyState !== WebSocket.OPEN) return;
      logger.warn({ bufferedBytes: socket.bufferedAmount, limit: maxBuffer }, "closing a WebSocket that stopped reading");
      socket.close(SLOW_READER_CLOSE_CODE, "Too far behind: read faster or subscribe to less");
      // Its close frame waits behind the unread data, so the handshake cannot finish: cut it.
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }) as WebSocket["send"];
  });
  const server = useServer<Record<string, unknown>>(
    {
      schema,
      subscribe,
      onConnect(ctx) {
        const request = ctx.extra.request;
        const params = ctx.connectionParams ?? {};
        const fromParams = params.authorization ?? params.Authorization;
        // A malformed credential is refused outright rather than silently dropped.
        if (fromParams !== undefined && typeof fromParams !== "string") return false;
        const token = nonBlank(fromParams) ?? nonBlank(request.headers.authorization);
        // A token that cannot be a header value (CR/LF, control characters) is refused here (4403);
        // the upstream client refuses it too, but a socket has no business living on with it.
        if (token !== undefined && !isValidHeaderValue(token)) return false;
        const headers: IncomingHttpHeaders = token === undefined ? {} : { authorization: token };
        // Any web page may open a WebSocket to the gateway (no CORS or CSRF check guards it), so the
        // gateway's own token (BOUNDARY_TOKEN, the demo admin) is lent only to same-origin pages and
        // to clients that are not browsers. Others must bring a token.
        const factory = token !== undefined || lendsFallback(request.headers) ? withFallback : withoutFallback;
        connections.set(ctx, () => factory(headers));
        return true;
      },
      onSubscribe(ctx, _id, payload) {
        // graphql-ws has already registered this one, so the count includes it.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
          return [
            gatewayError(GatewayErrorCode.RATE_LIMITED, `This connection already has its most open subscriptions (${maxSubscriptions}); complete one first.`, {
              retryAfter: null,
              limit: "MAX_SUBSCRIPTIONS_PER_CONNECTION",
            }),
          ];
        }
        let document: DocumentNode;
        try {
          // The token limit bounds what a subscription's document may cost to parse, as on HTTP.
          document = parse(payload.query, { maxTokens: options.limits.maxTokens });
        } catch (err) {
          return [withCode(err as GraphQLError, "GRAPHQL_PARSE_FAILED")];
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((e) => withCode(e, "GRAPHQL_VALIDATION_FAILED"));
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (!operation) {
          return [new GraphQLError("Could not pick the operation to run: name one with operationName.", { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
        }
        if (operation.operation !== "subscription") {
          return [
            new GraphQLError(`Only subscriptions are served over WebSocket; send ${operation.operation === "query" ? "queries" : "mutations"} as HTTP POST to /graphql.`, {
              extensions: { code: "BAD_REQUEST" },
            }),
          ];
        }
        const variables = payload.variables ?? undefined;
        const refusal = checkLimits(schema, document, operation, variables, options.limits, estimator);
        if (refusal) return [refusal];
        const base = connections.get(ctx);
        if (!base) return [new GraphQLError("The connection is not initialised.", { extensions: { code: "BAD_REQUEST" } })];
        const contextValue: LiveContext = { ...base(), live };
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((e) => format(e as GraphQLError)) };
      },
      onError(_ctx, _id, _payload, errors) {
        return errors.map(format);
      },
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  let closing = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? "/", "http://gateway.invalid");
    if (pathname !== "/graphql" || closing) {
      // Another module may serve upgrades on its own path; answer only when nobody else listens.
      if (httpServer.listenerCount("upgrade") > 1 && !closing) return;
      socket.end(`HTTP/1.1 ${closing ? "503 Service Unavailable" : "404 Not Found"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    if (options.acceptsHost && !options.acceptsHost(request.headers.host)) {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };
  httpServer.on("upgrade", onUpgrade);

  let closed: Promise<void> | undefined;
  return {
    live,
    close() {
      closed ??= (async () => {
        closing = true;
        httpServer.off("upgrade", onUpgrade);
        // Sockets first, with 1001 Going Away and no `complete`: a client that reconnects (graphql-ws
        // retries by default) then subscribes again, to this or another replica. Each closed socket lets
        // go of its pollers, which stop and abort their in-flight calls.
        const cut = setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
        }, CLOSE_GRACE_MS);
        try {
          await server.dispose();
        } finally {
          clearTimeout(cut);
          live.close();
        }
      })();
      return closed;
    },
  };
}

/**
 * Maps source events to execution results. `return()` reaches the source at once (the poller lets go
 * of the subscriber), and a failed execution also releases it before the error goes on.
 */
function mapEvents(source: AsyncIterator<unknown>, run: (event: unknown) => Promise<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const release = async () => {
    await source.return?.();
  };
  const mapped: AsyncGenerator<ExecutionResult> = {
    async next() {
      const item = await source.next();
      if (item.done) return { value: undefined, done: true };
      try {
        return { value: await run(item.value), done: false };
      } catch (err) {
        await release();
        throw err;
      }
    },
    async return() {
      await release();
      return { value: undefined, done: true };
    },
    async throw(err: unknown) {
      await release();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** graphql-js's request errors with the codes Apollo gives them over HTTP, so the formatter keeps them. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
