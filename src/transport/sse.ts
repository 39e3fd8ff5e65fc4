/**
 * GraphQL over Server-Sent Events: the graphql-sse protocol on `/graphql/stream`, in both its modes
 * (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md). A transport only: every operation is
 * prepared, limited, hooked (transport "sse"), executed and formatted by the execution core, with the
 * pollers of the WebSocket transport (one registry, so per-token caps count both). See
 * docs/subscriptions.md#over-server-sent-events.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExecutionResult, GraphQLError } from "graphql";
import type { OperationArgs, OperationResult } from "graphql-sse";
import { createHandler } from "graphql-sse/lib/use/http";
import type { ExecutionCore, OperationRequest } from "../execution/index.js";
import { formatErrors } from "../execution/errors.js";
import { createSubscriptionExecutor } from "../execution/subscribe.js";
import type { GatewayContext } from "../graphql/context.js";
import type { LiveRegistry } from "../live/registry.js";
import type { Logger } from "../logger.js";
import { connectionCapError, credentialsOf, startOperation } from "./operation.js";

export interface SseOptions {
  core: ExecutionCore;
  /** The WebSocket transport's registry: pollers are shared, and so are their caps. */
  live: LiveRegistry;
  requestTimeoutMs: number;
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
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createSseHandler(options: SseOptions): SseHandler {
  const { core, live, logger } = options;
  const format = (errors: readonly GraphQLError[]) => formatErrors(errors, core.formatError).errors;
  /**
   * Reserved streams (single-connection mode) and the Authorization they were reserved with. The stream
   * token is only a name: every later request on it must carry the same Authorization, so a client that
   * learns another's stream token can neither read its events nor add operations to it.
   */
  const owners = new Map<string, { authorization: string | undefined; open: number; backlog: Backlog }>();
  /** Per operation request: what the hooks saw, for their after. */
  const running = new WeakMap<object, OperationRequest>();
  const subscribe = createSubscriptionExecutor({ context: core.context, requestTimeoutMs: options.requestTimeoutMs });
  const backlogs = new WeakMap<object, Backlog>();
  /** What a finished subscription gives back to its reserved stream's count. */
  const done = new WeakMap<object, () => void>();

  const streamToken = (req: IncomingMessage): string | undefined => {
    const header = req.headers[STREAM_TOKEN_HEADER];
    if (typeof header === "string" && header !== "") return header;
    return new URL(req.url ?? "/", "http://gateway.invalid").searchParams.get("token") ?? undefined;
  };
  const refuse = (status: number, code: string, message: string) =>
    [
      JSON.stringify({ errors: [{ message, extensions: { code } }] }),
      { status, statusText: "", headers: { "content-type": "application/json; charset=utf-8" } },
    ] as [string, { status: number; statusText: string; headers: Record<string, string> }];

  const handler = createHandler({
    schema: core.schema,
    authenticate(req) {
      const raw = req.raw;
      if (!credentialsOf(raw.headers, undefined))
        return refuse(401, "UNAUTHENTICATED", "The Authorization header is not a valid header value.");
      const token = streamToken(raw);
      if (raw.method === "PUT") {
        // The gateway names the stream, never the client: a chosen name could collide with another's.
        const name = randomUUID();
        owners.set(name, { authorization: raw.headers.authorization, open: 0, backlog: { res: undefined, owed: 0 } });
        return name;
      }
      if (token === undefined) return null; // distinct-connections mode
      const owner = owners.get(token);
      if (owner && owner.authorization !== raw.headers.authorization)
        return refuse(403, "FORBIDDEN", "This stream was reserved with another Authorization.");
      return token;
    },
    onConnect(req) {
      const token = streamToken(req.raw);
      const owner = token === undefined ? undefined : owners.get(token);
      const res = req.context.res;
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
    subscribe: (args) => subscribe(args),
    onNext(_ctx, req, result) {
      const backlog = backlogs.get(req.raw);
      const out = result.errors ? { ...result, errors: format(result.errors as readonly GraphQLError[]) } : result;
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
    core.hooks.after(request, { errors: undefined, status: undefined });
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
    async handle(req, res) {
      try {
        await handler(req, res);
        // graphql-sse calls onComplete only for an operation it streamed. One cancelled (DELETE) while its
        // onSubscribe waited for admission is answered 204 and dropped, and a distinct stream whose
        // operation failed ends without it: either would hold its admission slot for good. Only 202 means
        // the operation goes on, in a reserved stream.
        if (res.statusCode !== 202) finish(req);
      } catch (err) {
        finish(req);
        logger.error({ err }, "event stream failed");
        if (!res.headersSent)
          res
            .writeHead(500, { "content-type": "application/json" })
            .end(JSON.stringify({ errors: [{ message: "Internal server error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }));
        else res.destroy();
      }
    },
  };
}
