/**
 * The one error step of every transport: how an error becomes what the client sees (`formatError`, the
 * funnel Apollo also calls), and how a transport that is not Apollo normalises a result's errors first
 * (`formatErrors`: a default code, and `extensions.http` turned into the response's status and headers
 * instead of being shown). Never throws; whatever it does not recognise is masked and logged.
 */
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import {
  BoundaryApiError,
  BoundaryError,
  BoundaryProtocolError,
  BoundaryTimeoutError,
  BoundaryUnreachableError,
} from "../boundary/errors.js";
import { GatewayErrorCode, PASS_THROUGH_CODES, mapBoundaryError } from "../graphql/errors.js";
import { LiveRefusalError } from "../live/errors.js";

/**
 * `requestId`, when the caller knows it (every transport but Apollo's pipeline, which calls the formatter
 * without its request), goes on the log lines the formatter writes; the answer gets it from withRequestId.
 */
export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown, requestId?: string) => GraphQLFormattedError;

export interface ErrorLogger {
  error(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

/**
 * How loud an expected upstream failure is: the controller failing or out of reach is an operator's
 * concern (`warn`); a 4xx is the caller's (its token, its id) and the answer already says so (`info`); a
 * refusal made before any call (bad id, spent budget) is routine (`debug`). None carries a stack: the
 * cause is the controller, not the gateway's code.
 */
function upstreamLevel(err: BoundaryError): "warn" | "info" | "debug" {
  if (err instanceof BoundaryApiError) return err.status >= 500 ? "warn" : "info";
  if (err instanceof BoundaryUnreachableError || err instanceof BoundaryTimeoutError || err instanceof BoundaryProtocolError) return "warn";
  return "debug";
}

/**
 * The request each error was raised for, when the formatter is called without it: Apollo calls
 * `formatError(formatted, error)` with no context, so its plugin names the errors first (see
 * src/execution/apollo.ts, didEncounterErrors) and the formatter's log lines still carry the id.
 */
const errorRequests = new WeakMap<object, string>();

export function nameErrors(errors: readonly unknown[], requestId: string): void {
  for (const error of errors) if (typeof error === "object" && error !== null) errorRequests.set(error, requestId);
}

/** Apollo's `formatError`: the one funnel. Never throws; masks what it does not know. */
export function createErrorFormatter(logger: ErrorLogger): ErrorFormatter {
  // A loader shares one Error among every path that asked for the same id: log it once, not per path.
  const logged = new WeakSet<object>();
  const logOnce = (err: unknown, path: GraphQLFormattedError["path"], msg: string, requestId: string | undefined) => {
    if (typeof err === "object" && err !== null) {
      if (logged.has(err)) return;
      logged.add(err);
    }
    logger.error({ err: describe(err), path, requestId }, msg);
  };
  const logUpstreamOnce = (err: BoundaryError, code: string, path: GraphQLFormattedError["path"], requestId: string | undefined) => {
    if (logged.has(err)) return;
    logged.add(err);
    const endpoint = (err as { endpoint?: unknown }).endpoint;
    const cause = (err as { cause?: unknown }).cause;
    // The message names the endpoint template only (never a token; ids stay out of templates).
    logger[upstreamLevel(err)](
      {
        code,
        upstreamCode: err.code,
        ...(typeof endpoint === "string" ? { endpoint } : {}),
        ...(err instanceof BoundaryApiError ? { status: err.status } : {}),
        ...(cause instanceof Error ? { causeCode: (cause as { code?: unknown }).code ?? cause.name } : {}),
        path,
        requestId,
      },
      "upstream failure",
    );
  };
  return (formatted: GraphQLFormattedError, error: unknown, given?: string): GraphQLFormattedError => {
    try {
      const requestId = given ?? (typeof error === "object" && error !== null ? errorRequests.get(error) : undefined);
      const original = unwrapResolverError(error);
      const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
      if (original instanceof BoundaryError) {
        const mapped = mapBoundaryError(original);
        logUpstreamOnce(original, mapped.code, formatted.path, requestId);
        return { ...base, message: mapped.message, extensions: { ...mapped.extensions, code: mapped.code } };
      }
      if (original instanceof LiveRefusalError) {
        // The live layer's own refusals: its codes are a subset of ours, its extensions shown as they are.
        return { ...base, message: original.message, extensions: { ...original.extensions, code: GatewayErrorCode[original.code] } };
      }
      if (original instanceof GraphQLError) {
        const code = original.extensions?.code ?? formatted.extensions?.code;
        if (typeof code === "string" && PASS_THROUGH_CODES.has(code)) {
          // Apollo's and graphql-js's request errors, and our own refusals, minus any stack trace.
          const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
          return { ...base, extensions: { ...extensions, code } };
        }
        if (!formatted.path && original.extensions?.code === undefined) {
          // A request-level refusal from Apollo's pipeline that carries no code (e.g. an APQ hash
          // that does not match its query): the caller's mistake, and the message says which.
          const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
          return { ...base, extensions: { ...extensions, code: "BAD_REQUEST" } };
        }
        if (formatted.path) {
          // Raised while completing a value (e.g. SafeInt overflow, an unknown enum value): the
          // controller's data does not fit the schema. graphql-js's message names the value only.
          logOnce(original, formatted.path, "upstream value does not fit the schema", requestId);
          return { ...base, extensions: { code: GatewayErrorCode.UPSTREAM_ERROR } };
        }
      }
      logOnce(original, formatted.path, "unexpected error (masked)", requestId);
      return {
        message: "Internal server error.",
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR },
      };
    } catch {
      return { message: "Internal server error.", extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR } };
    }
  };
}

function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const cause = (err as { cause?: unknown }).cause;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    ...(cause instanceof Error ? { cause: { name: cause.name, message: cause.message, code: (cause as { code?: unknown }).code } } : {}),
  };
}

/** The head a result's errors ask for: a status and headers (`extensions.http`, as Apollo reads it). */
export interface ErrorHead {
  status?: number;
  headers: Record<string, string>;
}

/** The error with the request's id in its extensions, so a client's report can be matched to the logs. */
export function withRequestId(error: GraphQLFormattedError, requestId: string): GraphQLFormattedError {
  return { ...error, extensions: { ...error.extensions, requestId } };
}

/**
 * A result's errors as the client sees them, with the head they ask for. An error's `extensions.http`
 * (set by refusals: a limit's 400, an overload's 503 and Retry-After) sets the status and headers and is
 * dropped from the answer; an error without a code gets INTERNAL_SERVER_ERROR before the formatter.
 * With `requestId`, every error carries it in its extensions and the formatter's log lines name it.
 */
export function formatErrors(
  errors: readonly GraphQLError[],
  formatError: ErrorFormatter,
  requestId?: string,
): { errors: GraphQLFormattedError[]; head: ErrorHead } {
  const head: ErrorHead = { headers: {} };
  const formatted = errors.map((error) => {
    try {
      // graphql-jit's errors may have no extensions object at all.
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions?.code ?? GatewayErrorCode.INTERNAL_SERVER_ERROR,
      };
      const http = extensions.http;
      if (isHttpHead(http)) {
        if (http.status !== undefined) head.status = http.status;
        if (http.headers) for (const [k, v] of http.headers) head.headers[k] = v;
        delete extensions.http;
      }
      const formatted = formatError({ ...error.toJSON(), extensions }, error, requestId);
      return requestId === undefined ? formatted : withRequestId(formatted, requestId);
    } catch {
      // As Apollo answers when a formatter throws (ours does not).
      return { message: "Internal server error", extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR } };
    }
  });
  return { errors: formatted, head };
}

function isHttpHead(x: unknown): x is { status?: number; headers?: Map<string, string> } {
  return (
    !!x &&
    typeof x === "object" &&
    (!("status" in x) || typeof (x as { status?: unknown }).status === "number") &&
    (!("headers" in x) || (x as { headers?: unknown }).headers instanceof Map)
  );
}

/** A request error (syntax, validation, operation choice) with the code clients know it by. */
export function requestError(error: GraphQLError, code: string): GraphQLError {
  return rebuildError(error, { extensions: { ...error.extensions, code, http: { status: 400 } } });
}

/**
 * The same error with another path or other extensions (a GraphQLError's are read-only). Without
 * `extensions` in `change` the error's own are kept; for one that has none, graphql-js takes its
 * original error's, or an empty object.
 */
export function rebuildError(
  error: GraphQLError,
  change: { path?: readonly (string | number)[]; extensions?: Record<string, unknown> },
): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: "path" in change ? change.path : error.path,
    originalError: error.originalError,
    extensions: "extensions" in change ? change.extensions : error.extensions,
  });
}
