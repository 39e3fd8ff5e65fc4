/**
 * GraphQL subscriptions over WebSocket: the graphql-ws protocol (`graphql-transport-ws`) on `/graphql`,
 * attached to the gateway's own http.Server. A transport only: each subscription is prepared, checked
 * against the limits, given its context, passed through the request hooks and executed by the execution
 * core (src/execution/), as every HTTP request is; this file reads the socket's credentials, bounds what
 * one socket may hold, and writes the answers.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError } from "graphql";
import { Counter, type Registry } from "prom-client";
import { useServer } from "graphql-ws/use/ws";
import { WebSocket, WebSocketServer } from "ws";
import type { BoundaryClient } from "../boundary/client.js";
import { formatErrors } from "../execution/errors.js";
import type { ExecutionCore, OperationRequest } from "../execution/index.js";
import { createSubscriptionExecutor, type SubscribeFn } from "../execution/subscribe.js";
import { createLiveRegistry, type LiveRegistry } from "../live/registry.js";
import type { LiveSharing } from "../live/sharing.js";
import type { Logger } from "../logger.js";
import { operationRequestId, requestIdOf } from "../request-id.js";
import { connectionCapError, credentialsOf, startOperation, type Credentials } from "./operation.js";

export interface SubscriptionServerOptions {
  httpServer: Server;
  /** The execution core every transport runs (the same schema, limits, context, hooks and errors). */
  core: ExecutionCore;
  /** The controller client the pollers read with. */
  client: BoundaryClient;
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
  /** With REDIS_URL: one poller per key across processes. */
  sharing?: LiveSharing;
  /** Server pings every this many ms and drops a peer that does not answer within as long. Default 12 000. */
  keepAliveMs?: number;
}

export interface SubscriptionServer {
  readonly live: LiveRegistry;
  /**
   * The executor of subscription events, counted in graphql_subscription_executions_total; the SSE
   * transport runs its subscriptions through it too, so identical operations share executions across both.
   */
  readonly subscribe: SubscribeFn;
  /** Stops accepting sockets, closes open ones (1001 Going Away) and stops every poller. */
  close(): Promise<void>;
}

/** How long open sockets get to finish their closing handshake at shutdown before they are cut. */
const CLOSE_GRACE_MS = 1_000;

/** Close code of a socket whose reader fell too far behind (MAX_SOCKET_BUFFER_BYTES). */
export const SLOW_READER_CLOSE_CODE = 4429;

export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { httpServer, core, logger } = options;
  const live = createLiveRegistry({
    client: options.client,
    logger,
    maxPollers: options.maxPollers,
    maxPollersPerToken: options.maxPollersPerToken,
    minIntervalMs: options.minIntervalMs,
    defaultIntervalMs: options.defaultIntervalMs,
    maxListItems: options.maxListItems,
    pollTimeoutMs: options.requestTimeoutMs,
    metrics: options.metrics,
    sharing: options.sharing,
  });
  /** Per connection, decided at `connection_init`: the credentials' headers and whether the gateway's token may stand in. */
  const connections = new WeakMap<object, Credentials>();
  /** Per open subscription: what its hooks saw, for their `after` when it ends. */
  const running = new Map<string, OperationRequest>();
  const maxSubscriptions = options.maxSubscriptionsPerConnection ?? 100;
  // What events cost: executions, not subscribers (identical subscriptions share one).
  const executions = options.metrics
    ? new Counter({
        name: "graphql_subscription_executions_total",
        help: "Executions of subscription events (one per event and distinct operation, shared by its subscribers).",
        registers: [options.metrics],
      })
    : undefined;
  const maxBuffer = options.maxSocketBufferBytes ?? 4 * 1024 * 1024;
  const subscribe = createSubscriptionExecutor({
    context: core.context,
    requestTimeoutMs: options.requestTimeoutMs,
    onExecution: () => executions?.inc(),
  });
  const format = (errors: readonly GraphQLError[], requestId: string) => formatErrors(errors, core.formatError, requestId).errors;
  /**
   * A connection's request id is its upgrade's (sent back on the 101); each operation's is derived from
   * it and the operation's id, so that it is the same on every message of that operation without a table.
   */
  const connectionIds = new WeakMap<IncomingMessage, string>();
  const connectionIdOf = (request: IncomingMessage) => {
    let id = connectionIds.get(request);
    if (id === undefined) connectionIds.set(request, (id = requestIdOf(request.headers["x-request-id"])));
    return id;
  };
  const requestIdOfOperation = (ctx: { extra: { request: IncomingMessage } }, id: string) =>
    operationRequestId(connectionIdOf(ctx.extra.request), id);
  /** Subscription ids are per socket; the key of one is per socket too. */
  const socketIds = new WeakMap<object, number>();
  let nextSocket = 0;
  const keyOf = (ctx: object, id: string) => {
    let n = socketIds.get(ctx);
    if (n === undefined) socketIds.set(ctx, (n = nextSocket++));
    return `${n}:${id}`;
  };
  const finish = (ctx: { extra: { request: IncomingMessage } }, id: string, errors: readonly GraphQLError[] | undefined) => {
    const key = keyOf(ctx, id);
    const request = running.get(key);
    if (!request) return;
    running.delete(key);
    core.hooks.after(request, { errors: errors ? format(errors, requestIdOfOperation(ctx, id)) : undefined, status: undefined });
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  wss.on("headers", (headers: string[], request: IncomingMessage) => headers.push(`X-Request-Id: ${connectionIdOf(request)}`));
  // A client that stops reading would otherwise have every event buffered for it without bound. Checked
  // after each send, not before: the events of many subscriptions are sent in one burst.
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const send = socket.send.bind(socket) as (data: unknown, cb?: (err?: Error) => void) => void;
    socket.send = ((data: unknown, cb?: (err?: Error) => void) => {
      send(data, cb);
      if (socket.bufferedAmount <= maxBuffer || socket.readyState !== WebSocket.OPEN) return;
      logger.warn(
        { bufferedBytes: socket.bufferedAmount, limit: maxBuffer, requestId: connectionIdOf(request) },
        "closing a WebSocket that stopped reading",
      );
      socket.close(SLOW_READER_CLOSE_CODE, "Too far behind: read faster or subscribe to less");
      // Its close frame waits behind the unread data, so the handshake cannot finish: cut it.
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }) as WebSocket["send"];
  });
  const server = useServer<Record<string, unknown>>(
    {
      schema: core.schema,
      subscribe,
      onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const credentials = credentialsOf(ctx.extra.request.headers, params.authorization ?? params.Authorization);
        // A malformed token is refused here (4403); the upstream client refuses it too, but a socket has
        // no business living on with it.
        if (!credentials) return false;
        connections.set(ctx, credentials);
        return true;
      },
      async onSubscribe(ctx, id, payload) {
        // graphql-ws has already registered this one, so the count includes it.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptions) return [connectionCapError(maxSubscriptions)];
        const connection = connections.get(ctx);
        if (!connection) return [new GraphQLError("The connection is not initialised.", { extensions: { code: "BAD_REQUEST" } })];
        const requestId = requestIdOfOperation(ctx, id);
        const started = await startOperation(core, live, "ws", undefined, payload, connection, true, requestId, options.requestTimeoutMs);
        if (!("request" in started)) return [...started];
        if (!core.hooks.empty) running.set(keyOf(ctx, id), started.request);
        return started.args;
      },
      onNext(ctx, id, _payload, _args, result) {
        if (!result.errors) return undefined;
        return { ...result, errors: format(result.errors as readonly GraphQLError[], requestIdOfOperation(ctx, id)) };
      },
      onError(ctx, id, _payload, errors) {
        finish(ctx, id, errors);
        return format(errors, requestIdOfOperation(ctx, id));
      },
      onComplete(ctx, id) {
        finish(ctx, id, undefined);
      },
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  let closing = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? "/", "http://gateway.invalid");
    // A refusal carries the id as every other answer does (a sane id is safe in a header).
    const refuse = (status: string) =>
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\nX-Request-Id: ${connectionIdOf(request)}\r\n\r\n`);
    if (pathname !== "/graphql" || closing) {
      // Another module may serve upgrades on its own path; answer only when nobody else listens.
      if (httpServer.listenerCount("upgrade") > 1 && !closing) return;
      refuse(closing ? "503 Service Unavailable" : "404 Not Found");
      return;
    }
    if (options.acceptsHost && !options.acceptsHost(request.headers.host)) {
      refuse("400 Bad Request");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };
  httpServer.on("upgrade", onUpgrade);

  let closed: Promise<void> | undefined;
  return {
    live,
    subscribe,
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
