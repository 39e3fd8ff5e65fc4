/**
 * What the streaming transports (WebSocket, SSE) share between receiving an operation and running it:
 * the credentials of a connection, the per-connection cap, and the prepare, limit, context and
 * before-hook steps of the execution core, in the same order and with the same refusals.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GraphQLError, type DocumentNode } from "graphql";
import { createCallScope } from "../boundary/call-scope.js";
import { isValidHeaderValue } from "../boundary/client.js";
import { lendsFallback } from "../execution/context.js";
import { formatErrors } from "../execution/errors.js";
import { isRequestErrors, operationRequest, type ExecutionCore, type OperationRequest, type Transport } from "../execution/index.js";
import { GatewayErrorCode, gatewayError } from "../graphql/errors.js";
import type { LiveContext } from "../graphql/resolvers/subscription.resolver.js";
import type { LiveRegistry } from "../live/registry.js";

export interface Credentials {
  /** The connection's headers with its token (or none) as `authorization`. */
  headers: IncomingHttpHeaders;
  /** Whether the gateway's own token may stand in for a missing one (see lendsFallback). */
  lend: boolean;
}

/**
 * The credentials of a connection, or undefined for a malformed token: one that is not a string or
 * cannot be a header value (CR/LF, control characters) is refused outright rather than dropped.
 */
export function credentialsOf(headers: IncomingHttpHeaders, token: unknown): Credentials | undefined {
  if (token !== undefined && typeof token !== "string") return undefined;
  const value = nonBlank(token) ?? nonBlank(headers.authorization);
  if (value !== undefined && !isValidHeaderValue(value)) return undefined;
  // Any web page may open a WebSocket or an EventSource to the gateway, so its own token (BOUNDARY_TOKEN,
  // the demo admin) is lent only to same-origin pages and to clients that are not browsers.
  return { headers: { ...headers, authorization: value }, lend: value === undefined && lendsFallback(headers) };
}

/** The refusal of a subscription past MAX_SUBSCRIPTIONS_PER_CONNECTION. */
export function connectionCapError(max: number): GraphQLError {
  return gatewayError(
    GatewayErrorCode.RATE_LIMITED,
    `This connection already has its most open subscriptions (${max}); complete one first.`,
    {
      retryAfter: null,
      limit: "MAX_SUBSCRIPTIONS_PER_CONNECTION",
    },
  );
}

export interface OperationPayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
}

export interface StartedOperation {
  request: OperationRequest;
  args: {
    schema: ExecutionCore["schema"];
    document: DocumentNode;
    operationName: string | undefined;
    variableValues: Record<string, unknown> | undefined;
    contextValue: LiveContext;
  };
}

/**
 * Prepares an operation, checks it against the limits, builds its context and runs the before hooks;
 * the errors to send back when any step refuses it (the hooks' after has then run already).
 * `onlySubscriptions` names the transport's way for others (WebSocket serves only subscriptions).
 * `requestId` is the operation's: its context's call scope carries it to log lines and to each event's
 * scope (src/execution/subscribe.ts). A query or mutation (over SSE) ends its upstream work by
 * `requestTimeoutMs`, as it would over HTTP.
 */
export async function startOperation(
  core: ExecutionCore,
  live: LiveRegistry,
  transport: Transport,
  method: string | undefined,
  payload: OperationPayload,
  credentials: Credentials,
  onlySubscriptions: boolean,
  requestId: string,
  requestTimeoutMs: number,
): Promise<StartedOperation | readonly GraphQLError[]> {
  // A trusted document named by id (or refused free text) resolves here, as on HTTP.
  let query = payload.query;
  let extensions = payload.extensions ?? undefined;
  if (core.documents) {
    const answer = core.documents.resolve({ query, extensions, documentId: (payload as { documentId?: unknown }).documentId });
    if (answer.kind === "refuse") return [answer.error];
    query = answer.query as string;
    extensions = answer.extensions as Record<string, unknown> | undefined;
  }
  const op = core.prepare(query, payload.operationName ?? undefined);
  if (isRequestErrors(op)) return op.errors;
  if (onlySubscriptions && op.operation.operation !== "subscription") {
    return [
      new GraphQLError(
        `Only subscriptions are served over WebSocket; send ${op.operation.operation === "query" ? "queries" : "mutations"} as HTTP POST to /graphql.`,
        { extensions: { code: "BAD_REQUEST" } },
      ),
    ];
  }
  const variables = payload.variables ?? undefined;
  const refusal = core.verdict(op, variables);
  if (refusal) return [refusal];
  // No deadline for a subscription: it lives as long as its client wants, and each of its events gets a
  // deadline of its own (src/execution/subscribe.ts). A query or mutation gets the request's deadline.
  // The scope carries the operation's id and counts its calls. (A deadline scope needs no end: only one
  // with a parent signal holds a timer of its own.)
  const scope =
    op.operation.operation === "subscription" ? { calls: 0, requestId } : Object.assign(createCallScope(requestTimeoutMs), { requestId });
  const context = core.context.build(credentials.headers, scope, credentials.lend);
  const contextValue: LiveContext = { ...context, live };
  const request = operationRequest(op, {
    transport,
    method,
    variables,
    extensions,
    headers: credentials.headers,
    context: contextValue,
    cost: core.cost(op, variables),
  });
  const hookRefusal = await core.hooks.before(request);
  if (hookRefusal) {
    core.hooks.after(request, { errors: formatErrors([hookRefusal], core.formatError, requestId).errors, status: undefined });
    return [hookRefusal];
  }
  return {
    request,
    args: { schema: core.schema, document: op.document, operationName: op.operationName, variableValues: variables, contextValue },
  };
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}
