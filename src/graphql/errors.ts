/**
 * The single mapping from failures to client-visible GraphQL errors. Every error leaving the gateway
 * passes through `formatGatewayError`; it never throws, and anything it does not recognise is masked.
 */
import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { BoundaryApiError, BoundaryError } from "../boundary/errors.js";

/** The closed set of codes this gateway puts in `extensions.code` for its own errors. */
export enum GatewayErrorCode {
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  BAD_USER_INPUT = "BAD_USER_INPUT",
  CONFLICT = "CONFLICT",
  RATE_LIMITED = "RATE_LIMITED",
  UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE",
  UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT",
  UPSTREAM_ERROR = "UPSTREAM_ERROR",
  /** Refused before running: over a depth, alias, root-field or cost limit (`extensions.limit`). */
  QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX",
  /** The request body is over MAX_BODY_BYTES (HTTP 413). */
  PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE",
  INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR",
}

/** Codes Apollo Server and graphql-js produce for request errors; passed through as they are. */
const PASS_THROUGH_CODES = new Set<string>([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "INTROSPECTION_DISABLED",
  "MAX_RECURSIVE_SELECTIONS_EXCEEDED",
  ...Object.values(GatewayErrorCode).filter((c) => c !== GatewayErrorCode.INTERNAL_SERVER_ERROR),
]);

export interface MappedError {
  code: GatewayErrorCode;
  message: string;
  extensions?: Record<string, unknown>;
}

/** How an upstream failure is shown to the client. Exhaustive over the BoundaryError family. */
export function mapBoundaryError(err: BoundaryError): MappedError {
  switch (err.code) {
    case "BOUNDARY_API_ERROR":
      return mapApiError(err as BoundaryApiError);
    case "BOUNDARY_UNREACHABLE":
      return { code: GatewayErrorCode.UPSTREAM_UNAVAILABLE, message: "The Boundary controller could not be reached." };
    case "BOUNDARY_TIMEOUT":
      return { code: GatewayErrorCode.UPSTREAM_TIMEOUT, message: "The Boundary controller did not answer in time." };
    case "BOUNDARY_PROTOCOL_ERROR":
      return { code: GatewayErrorCode.UPSTREAM_ERROR, message: "The Boundary controller sent a response the gateway could not read." };
    case "BOUNDARY_INVALID_INPUT": {
      const e = err as BoundaryError & { field: string };
      return { code: GatewayErrorCode.BAD_USER_INPUT, message: err.message, extensions: { field: e.field } };
    }
    case "BOUNDARY_INVALID_CREDENTIALS":
      return { code: GatewayErrorCode.UNAUTHENTICATED, message: "The token is not a valid header value: send a Boundary token as `Authorization: Bearer <token>`." };
    case "BOUNDARY_VERSION_CONFLICT": {
      const e = err as BoundaryError & { currentVersion: number; sentVersion: number };
      return {
        code: GatewayErrorCode.CONFLICT,
        message: `The session changed: it is at version ${e.currentVersion}, not ${e.sentVersion}. Read it again and retry with the current version, or omit the version.`,
        extensions: { currentVersion: e.currentVersion },
      };
    }
    case "BOUNDARY_BUDGET_SPENT":
      return {
        code: GatewayErrorCode.RATE_LIMITED,
        message: "The gateway's budget of list calls to Boundary is spent for now; retry after `retryAfter` seconds.",
        extensions: { retryAfter: (err as BoundaryError & { retryAfter: number }).retryAfter, limit: "UPSTREAM_LIST_BUDGET" },
      };
    default: {
      const unreachable: never = err.code;
      return { code: GatewayErrorCode.INTERNAL_SERVER_ERROR, message: `Internal server error (${String(unreachable)}).` };
    }
  }
}

function mapApiError(err: BoundaryApiError): MappedError {
  const { status } = err;
  // The controller's own text is shown for 4xx answers (it explains what the caller did wrong); 5xx
  // text is Go error chains about the controller's internals, kept for the logs only.
  const upstream: Record<string, unknown> = { status, kind: err.kind ?? null };
  if (status < 500 && err.body?.message) upstream.message = err.body.message;
  const fields = err.body?.details?.request_fields;
  if (status < 500 && fields?.length) upstream.requestFields = fields.map((f) => ({ name: f.name ?? null, description: f.description ?? null }));
  const extensions: Record<string, unknown> = { upstream };

  if (status === 400) {
    const what = err.kind === "invalid list token" ? "The list token (`after`) is no longer valid" : "Boundary refused the request";
    const detail = fields?.map((f) => `${f.name}: ${f.description}`).join("; ") || err.body?.message;
    return { code: GatewayErrorCode.BAD_USER_INPUT, message: detail ? `${what}: ${detail}` : `${what}.`, extensions };
  }
  if (status === 414 || status === 431) {
    // The URL or headers were too long for the controller: the caller's arguments (a huge filter or id).
    return { code: GatewayErrorCode.BAD_USER_INPUT, message: `Boundary refused the request as too large (HTTP ${status}): shorten the filter or ids.`, extensions };
  }
  if (status === 401) return { code: GatewayErrorCode.UNAUTHENTICATED, message: "Authentication required: send a valid Boundary token as `Authorization: Bearer <token>`.", extensions };
  if (status === 403) return { code: GatewayErrorCode.FORBIDDEN, message: "Your Boundary token is not allowed to do this.", extensions };
  if (status === 404) return { code: GatewayErrorCode.NOT_FOUND, message: "Not found in Boundary.", extensions };
  if (status === 429) {
    return {
      code: GatewayErrorCode.RATE_LIMITED,
      message: "Boundary's rate limit was reached; retry later.",
      extensions: { ...extensions, retryAfter: err.retryAfter ?? null },
    };
  }
  if (status === 504) return { code: GatewayErrorCode.UPSTREAM_TIMEOUT, message: "The Boundary controller timed out.", extensions };
  return { code: GatewayErrorCode.UPSTREAM_ERROR, message: `The Boundary controller failed (HTTP ${status}).`, extensions };
}

/** Throw from a resolver for a refusal the gateway decides by itself. */
export function gatewayError(code: GatewayErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export interface ErrorLogger {
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Apollo's `formatError`: the one funnel. Never throws; masks what it does not know. */
export function createErrorFormatter(logger: ErrorLogger) {
  // A loader shares one Error among every path that asked for the same id: log it once, not per path.
  const logged = new WeakSet<object>();
  const logOnce = (err: unknown, path: GraphQLFormattedError["path"], msg: string) => {
    if (typeof err === "object" && err !== null) {
      if (logged.has(err)) return;
      logged.add(err);
    }
    logger.error({ err: describe(err), path }, msg);
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const original = unwrapResolverError(error);
      const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
      if (original instanceof BoundaryError) {
        const mapped = mapBoundaryError(original);
        if (mapped.code === GatewayErrorCode.UPSTREAM_ERROR || mapped.code === GatewayErrorCode.UPSTREAM_UNAVAILABLE || mapped.code === GatewayErrorCode.UPSTREAM_TIMEOUT) {
          logOnce(original, formatted.path, "upstream failure");
        }
        return { ...base, message: mapped.message, extensions: { ...mapped.extensions, code: mapped.code } };
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
          logOnce(original, formatted.path, "upstream value does not fit the schema");
          return { ...base, extensions: { code: GatewayErrorCode.UPSTREAM_ERROR } };
        }
      }
      logOnce(original, formatted.path, "unexpected error (masked)");
      return { message: "Internal server error.", locations: formatted.locations, path: formatted.path, extensions: { code: GatewayErrorCode.INTERNAL_SERVER_ERROR } };
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
