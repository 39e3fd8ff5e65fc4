/**
 * GraphQL over Server-Sent Events: the graphql-sse protocol on `/graphql/stream`, in both its modes
 * (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md). A transport only: every operation is
 * prepared, limited, hooked (transport "sse"), executed and formatted by the execution core, with the
 * pollers of the WebSocket transport (one registry, so per-token caps count both). See
 * docs/subscriptions.md#over-server-sent-events.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExecutionResult, GraphQLError, GraphQLFormattedError } from "graphql";
import { createHandler, type OperationArgs, type OperationResult } from "graphql-sse";
import type { ExecutionCore, OperationRequest } from "../execution/index.js";
import { formatErrors, withRequestId } from "../execution/errors.js";
import type { SubscribeFn } from "../execution/subscribe.js";
import type { GatewayContext } from "../graphql/context.js";
import { GatewayErrorCode } from "../graphql/errors.js";
import type { LiveRegistry } from "../live/registry.js";
import type { Logger } from "../logger.js";
import { requestIdOf } from "../request-id.js";
import { readBodyWithin } from "./body.js";
import { connectionCapError, credentialsOf, startOperation } from "./operation.js";

export interface SseOptions {
  core: ExecutionCore;
  /** The WebSocket transport's registry: pollers are shared, and so are their caps. */
  live: LiveRegistry;
  /** The WebSocket transport's executor: events are executed (and counted) once for both transports. */
  subscribe: SubscribeFn;
  /** MAX_BODY_BYTES: larger request bodies are refused (413) before graphql-sse sees them. */
  maxBodyBytes: number;
  /** REQUEST_TIMEOUT_MS: a query or mutation sent over SSE ends its upstream work by then, as over HTTP. */
  requestTimeoutMs: number;
  /**
   * HTTP_REQUEST_TIMEOUT_MS: how long a reserved stream (PUT) may wait for its event stream (GET) before
   * it is dropped with whatever was POSTed to it.
   */
  reservationTtlMs: number;
  /** MAX_CONNECTIONS: most reserved streams at once, connected or not (each is meant to be one connection). */
  maxStreams: number;
  /** MAX_POLLERS_PER_TOKEN: most reserved streams of one Authorization value. */
  maxStreamsPerToken: number;
  /** MAX_SUBSCRIPTIONS_PER_CONNECTION: most open subscriptions on one reserved stream. */
  maxSubscriptionsPerConnection: number;
  /** MAX_SOCKET_BUFFER_BYTES: a stream with more events waiting than this is cut. */
  maxBufferBytes: number;
  logger: Logger;
}

/** graphql-sse's header (and `token` query parameter) naming a reserved stream. */
const STREAM_TOKEN_HEADER = "x-graphql-event-stream-token";

/** What one event stream has been sent and still owes: a reader that stops reading is cut. */
interface Backlog {
  res: ServerResponse | undefined;
  owed: number;
}

export interface SseHandler {
  /**
   * `requestId` is the request's (src/server.ts has set it on the response): an operation's errors carry
   * the id of the request that started it, which is the POST, not the event stream, in a reserved stream.
   */
  handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void>;
  /**
   * Refuses new requests (503), ends every open event stream and drops every reservation; their
   * subscriptions end and release their pollers. Resolves once the streams have ended.
   */
  close(): Promise<void>;
}

/** What graphql-sse's handler is given with each request: the response, or the reservation to drop. */
interface RequestContext {
  res: ServerResponse | undefined;
  /** Set on the gateway's own request that connects a reservation only to end it (see expire). */
  expire?: string;
  /** The request's id (a made one for the gateway's own request). */
  requestId: string;
}

interface Reservation {
  authorization: string | undefined;
  open: number;
  backlog: Backlog;
  /** Until the event stream connects: the reservation's expiry. */
  timer: NodeJS.Timeout | undefined;
  /** Being dropped: refused to everyone, so that no request takes the stream over meanwhile. */
  dropping: boolean;
}

export function createSseHandler(options: SseOptions): SseHandler {
  const { core, live, logger } = options;
  const format = (errors: readonly GraphQLError[], requestId: string) => formatErrors(errors, core.formatError, requestId).errors;
  /**
   * Reserved streams (single-connection mode) and the Authorization they were reserved with. The stream
   * token is only a name: every later request on it must carry the same Authorization, so a client that
   * learns another's stream token can neither read its events nor add operations to it.
   */
  const owners = new Map<string, Reservation>();
  /** Per operation request: what the hooks saw, for their after, and the errors of its last result. */
  const running = new WeakMap<object, OperationRequest>();
  const lastErrors = new WeakMap<object, GraphQLFormattedError[]>();
  /** Open event streams (both modes): how to end each, and when its writing is over. */
  const streams = new Map<ServerResponse, { end: () => Promise<unknown>; written: Promise<void> }>();
  let closing = false;
  const backlogs = new WeakMap<object, Backlog>();
  /** What a finished subscription gives back to its reserved stream's count. */
  const done = new WeakMap<object, () => void>();

  const streamToken = (req: IncomingMessage): string | undefined => {
    const header = req.headers[STREAM_TOKEN_HEADER];
    if (typeof header === "string" && header !== "") return header;
    return new URL(req.url ?? "/", "http://gateway.invalid").searchParams.get("token") ?? undefined;
  };
  const refuse = (requestId: string, status: number, code: string, message: string, extensions: Record<string, unknown> = {}) =>
    [
      JSON.stringify({ errors: [withRequestId({ message, extensions: { ...extensions, code } }, requestId)] }),
      { status, statusText: "", headers: { "content-type": "application/json; charset=utf-8" } },
    ] as [string, { status: number; statusText: string; headers: Record<string, string> }];

  const handler = createHandler<IncomingMessage, RequestContext>({
    schema: core.schema,
    authenticate(req) {
      if (req.context.expire !== undefined) return req.context.expire;
      const raw = req.raw;
      const requestId = req.context.requestId;
      if (!credentialsOf(raw.headers, undefined))
        return refuse(requestId, 401, "UNAUTHENTICATED", "The Authorization header is not a valid header value.");
      const token = streamToken(raw);
      if (raw.method === "PUT") {
        // Reservations cost memory before any connection exists, and anyone can make one with any string
        // as a token: bounded per Authorization value and in all.
        const authorization = raw.headers.authorization;
        if (owners.size >= options.maxStreams)
          return refuse(
            requestId,
            429,
            GatewayErrorCode.RATE_LIMITED,
            `The gateway already holds its most reserved streams (${options.maxStreams}).`,
            {
              retryAfter: null,
              limit: "MAX_CONNECTIONS",
            },
          );
        let mine = 0;
        for (const owner of owners.values()) if (owner.authorization === authorization) mine++;
        if (mine >= options.maxStreamsPerToken)
          return refuse(
            requestId,
            429,
            GatewayErrorCode.RATE_LIMITED,
            `This token already holds its most reserved streams (${options.maxStreamsPerToken}); close one first.`,
            { retryAfter: null, limit: "MAX_POLLERS_PER_TOKEN" },
          );
        // The gateway names the stream, never the client: a chosen name could collide with another's.
        const name = randomUUID();
        const timer = setTimeout(
          () => expire(name).catch((err: unknown) => logger.error({ err }, "dropping a reservation failed")),
          options.reservationTtlMs,
        );
        timer.unref();
        owners.set(name, { authorization, open: 0, backlog: { res: undefined, owed: 0 }, timer, dropping: false });
        return name;
      }
      if (token === undefined) return null; // distinct-connections mode
      const owner = owners.get(token);
      if (owner?.dropping) return refuse(requestId, 404, GatewayErrorCode.NOT_FOUND, "This stream has expired.");
      if (owner && owner.authorization !== raw.headers.authorization)
        return refuse(requestId, 403, "FORBIDDEN", "This stream was reserved with another Authorization.");
      return token;
    },
    onConnect(req) {
      if (req.context.expire !== undefined) return;
      const token = streamToken(req.raw);
      const owner = token === undefined ? undefined : owners.get(token);
      const res = req.context.res!;
      if (owner) {
        clearTimeout(owner.timer);
        owner.timer = undefined;
      }
      const backlog: Backlog = owner ? owner.backlog : { res, owed: 0 };
      backlog.res = res;
      backlogs.set(req.raw, backlog);
      guard(res, backlog);
      // The reservation ends with its stream: graphql-sse forgets it when the stream closes.
      if (token !== undefined && owner) res.once("close", () => owners.delete(token));
    },
    async onSubscribe(req, params) {
      const raw = req.raw;
      const credentials = credentialsOf(raw.headers, undefined)!;
      const token = streamToken(raw);
      const owner = token === undefined ? undefined : owners.get(token);
      if (owner && owner.open >= options.maxSubscriptionsPerConnection) {
        return { data: null, errors: [connectionCapError(options.maxSubscriptionsPerConnection)] } as unknown as OperationResult;
      }
      const query = typeof params.query === "string" ? params.query : "";
      const started = await startOperation(
        core,
        live,
        "sse",
        raw.method,
        { query, operationName: params.operationName, variables: params.variables, extensions: params.extensions },
        credentials,
        false,
        req.context.requestId,
        options.requestTimeoutMs,
      );
      // graphql-sse sends a result only when it has a data key (its isExecutionResult); onNext formats it.
      if (!("request" in started)) return { data: null, errors: [...started] } as unknown as OperationResult;
      running.set(raw, started.request);
      if (owner && started.request.operationType === "subscription") {
        owner.open++;
        done.set(raw, () => owner.open--);
      }
      const backlog = owner ? owner.backlog : backlogs.get(raw);
      if (backlog) backlogs.set(raw, backlog);
      return started.args as unknown as OperationArgs;
    },
    async execute(args) {
      const op = core.prepare(args.document.loc?.source.body ?? "", args.operationName ?? undefined);
      if ("errors" in op) return { errors: op.errors };
      return core.execute(op, args.variableValues ?? undefined, args.contextValue as unknown as GatewayContext);
    },
    subscribe: (args) => options.subscribe(args),
    onNext(_ctx, req, result) {
      const backlog = backlogs.get(req.raw);
      const errors = result.errors ? format(result.errors as readonly GraphQLError[], req.context.requestId) : undefined;
      // The hooks' after hears the errors the operation ended with: those of its last result.
      if (errors) lastErrors.set(req.raw, errors);
      else lastErrors.delete(req.raw);
      const out = errors ? { ...result, errors } : result;
      if (backlog) owe(backlog, Buffer.byteLength(JSON.stringify(out)));
      return out as ExecutionResult;
    },
    onComplete(_ctx, req) {
      finish(req.raw);
    },
  });

  /** Ends what an operation's request holds: its place in a reserved stream and its hooks (once). */
  function finish(raw: object): void {
    done.get(raw)?.();
    done.delete(raw);
    const request = running.get(raw);
    if (!request) return;
    running.delete(raw);
    const errors = lastErrors.get(raw);
    lastErrors.delete(raw);
    core.hooks.after(request, { errors, status: undefined });
  }

  /**
   * Drops a reservation: graphql-sse forgets a stream only when its event stream ends, so the gateway
   * connects it itself and ends it at once, which also ends whatever was POSTed to it.
   */
  async function expire(name: string): Promise<void> {
    const owner = owners.get(name);
    if (!owner || owner.timer === undefined || owner.dropping) return; // connected meanwhile: its stream owns it now
    owner.dropping = true;
    clearTimeout(owner.timer);
    try {
      const [body] = await handler({
        method: "GET",
        url: `/graphql/stream?token=${encodeURIComponent(name)}`,
        headers: { get: (key: string) => (key === "accept" ? "text/event-stream" : undefined) },
        body: null,
        raw: undefined as unknown as IncomingMessage,
        context: { res: undefined, expire: name, requestId: requestIdOf(undefined) },
      });
      if (body && typeof body !== "string") await body.return(undefined);
    } finally {
      owners.delete(name);
    }
  }

  /** graphql-sse's node:http adapter (graphql-sse 2.6.1 lib/use/http), given a body read within the limit. */
  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const read = await readBodyWithin(req, res, options.maxBodyBytes);
    if (read === null) return;
    const text = Buffer.concat(read.chunks).toString("utf8");
    const [body, init] = await handler({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: {
        get(key: string) {
          const header = req.headers[key];
          return Array.isArray(header) ? header.join("\n") : header;
        },
      },
      body: text,
      raw: req,
      context: { res, requestId },
    });
    res.writeHead(init.status, init.statusText, init.headers);
    if (!body || typeof body === "string") {
      await new Promise<void>((resolve) => res.end(body, () => resolve()));
      return;
    }
    const end = () => body.return(undefined);
    res.once("close", end);
    const written = (async () => {
      try {
        for await (const value of body) {
          if (!res.writable) break; // its close event may come later
          await new Promise<void>((resolve, reject) => res.write(value, (err) => (err ? reject(err) : resolve())));
        }
      } finally {
        streams.delete(res);
        res.off("close", end);
      }
      await new Promise<void>((resolve) => res.end(() => resolve()));
    })();
    streams.set(res, { end, written });
    await written;
  }

  /** Counts what is written against what was queued for one stream. */
  function guard(res: ServerResponse, backlog: Backlog): void {
    const write = res.write.bind(res) as (chunk: unknown, cb?: (err?: Error | null) => void) => boolean;
    res.write = ((chunk: unknown, cb?: (err?: Error | null) => void) => {
      backlog.owed = Math.max(0, backlog.owed - (typeof chunk === "string" ? Buffer.byteLength(chunk) : (chunk as Buffer).length));
      return write(chunk, cb);
    }) as ServerResponse["write"];
  }
  function owe(backlog: Backlog, bytes: number): void {
    backlog.owed += bytes;
    if (backlog.owed <= options.maxBufferBytes || !backlog.res || backlog.res.destroyed) return;
    logger.warn({ bufferedBytes: backlog.owed, limit: options.maxBufferBytes }, "closing an event stream that stopped reading");
    backlog.res.destroy();
  }

  return {
    async handle(req, res, requestId) {
      if (closing) {
        res.writeHead(503, { "content-type": "application/json; charset=utf-8", connection: "close" }).end(
          JSON.stringify({
            // The code the live layer gives a subscription refused while closing.
            errors: [
              withRequestId(
                {
                  message: "The gateway is shutting down; try again shortly.",
                  extensions: { code: GatewayErrorCode.UPSTREAM_UNAVAILABLE },
                },
                requestId,
              ),
            ],
          }),
        );
        return;
      }
      try {
        await serve(req, res, requestId);
        // graphql-sse calls onComplete only for an operation it streamed. One cancelled (DELETE) while its
        // onSubscribe waited for admission is answered 204 and dropped, and a distinct stream whose
        // operation failed ends without it: either would hold its admission slot for good. Only 202 means
        // the operation goes on, in a reserved stream.
        if (res.statusCode !== 202) finish(req);
      } catch (err) {
        finish(req);
        logger.error({ err, requestId }, "event stream failed");
        if (!res.headersSent)
          res.writeHead(500, { "content-type": "application/json" }).end(
            JSON.stringify({
              errors: [withRequestId({ message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }, requestId)],
            }),
          );
        else res.destroy();
      }
    },
    async close() {
      closing = true;
      // Ended rather than cut: the client sees the stream end and may reconnect, to this or another replica.
      const open = [...streams.values()];
      await Promise.all([...[...owners.keys()].map(expire), ...open.map((stream) => stream.end())]);
      await Promise.allSettled(open.map((stream) => stream.written));
    },
  };
}
