/**
 * The gateway's error vocabulary: its codes, the mapping from upstream failures to them, and the
 * refusals resolvers raise. The one formatting step that every answer passes through is
 * src/execution/errors.ts.
 */
import { GraphQLError } from "graphql";
import { BoundaryApiError, BoundaryError } from "../boundary/errors.js";

/** The closed set of codes this gateway puts in `extensions.code` for its own errors. */
export enum GatewayErrorCode {
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  BAD_USER_INPUT = "BAD_USER_INPUT",
  CONFLICT = "CONFLICT",
  RATE_LIMITED = "RATE_LIMITED",
  /** Refused by admission: the in-flight cost budget stayed full (HTTP 503, `retryAfter`). */
  OVERLOADED = "OVERLOADED",
  UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE",
  UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT",
  UPSTREAM_ERROR = "UPSTREAM_ERROR",
  /** Refused before running: over a depth, alias, root-field or cost limit (`extensions.limit`). */
  QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX",
  /** The request body is over MAX_BODY_BYTES (HTTP 413). */
  PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE",
  /** PERSISTED_DOCUMENTS_MODE=enforce: the id is not in the manifest (Apollo Router's code; HTTP 400). */
  PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST",
  /** PERSISTED_DOCUMENTS_MODE=enforce: the text is not a manifest document (Apollo Router's code; HTTP 400). */
  QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST",
  INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR",
}

/** Codes Apollo Server and graphql-js produce for request errors; passed through as they are. */
export const PASS_THROUGH_CODES = new Set<string>([
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
      return {
        code: GatewayErrorCode.UNAUTHENTICATED,
        message: "The token is not a valid header value: send a Boundary token as `Authorization: Bearer <token>`.",
      };
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
  if (status < 500 && fields?.length)
    upstream.requestFields = fields.map((f) => ({ name: f.name ?? null, description: f.description ?? null }));
  const extensions: Record<string, unknown> = { upstream };

  // The caller's own inputs, even where the controller answers 500 for them.
  if (err.listTokenRefused) {
    if (status === 400) {
      const detail = err.body?.message;
      return {
        code: GatewayErrorCode.BAD_USER_INPUT,
        message: `The list token (\`after\`) is no longer valid${detail ? `: ${detail}` : "."}`,
        extensions: { ...extensions, field: "after" },
      };
    }
    return {
      code: GatewayErrorCode.BAD_USER_INPUT,
      message:
        "The list token (`after`) is not one the controller issued: it could not be decoded. Pass a `listToken` from an earlier page, or omit `after` to start a new listing.",
      extensions: { ...extensions, field: "after" },
    };
  }
  const panic = err.filterPanic;
  if (panic !== undefined) {
    return {
      code: GatewayErrorCode.BAD_USER_INPUT,
      message: `The filter made the controller's evaluator (go-bexpr) fail on an item: an operator was applied to a field of a type it does not support, such as \`is empty\` on a number, a timestamp or an object (${panic}). Compare such fields with == or != instead.`,
      extensions: { ...extensions, field: "filter" },
    };
  }
  if (!err.sent.credentials && (status === 401 || status === 403)) {
    // The controller treats a request without a token as the anonymous user, which it answers 401 or,
    // on a recursive listing, 403 (internal/daemon/controller/auth/auth.go): either way, a token is missing.
    return {
      code: GatewayErrorCode.UNAUTHENTICATED,
      message: "No token was sent: send a Boundary token as `Authorization: Bearer <token>`.",
      extensions,
    };
  }

  if (status === 400) {
    const what = "Boundary refused the request";
    const detail = fields?.map((f) => `${f.name}: ${f.description}`).join("; ") || err.body?.message;
    return { code: GatewayErrorCode.BAD_USER_INPUT, message: detail ? `${what}: ${detail}` : `${what}.`, extensions };
  }
  if (status === 414 || status === 431) {
    // The URL or headers were too long for the controller: the caller's arguments (a huge filter or id).
    return {
      code: GatewayErrorCode.BAD_USER_INPUT,
      message: `Boundary refused the request as too large (HTTP ${status}): shorten the filter or ids.`,
      extensions,
    };
  }
  if (status === 401)
    return {
      code: GatewayErrorCode.UNAUTHENTICATED,
      message: "Authentication required: send a valid Boundary token as `Authorization: Bearer <token>`.",
      extensions,
    };
  if (status === 403) {
    // An expired, revoked or unknown token is not refused as such: the controller carries on as the
    // anonymous user, whom a recursive listing answers 403 (internal/daemon/controller/auth/auth.go).
    return {
      code: GatewayErrorCode.FORBIDDEN,
      message:
        "Your Boundary token is not allowed to do this. An expired or revoked token is answered the same way: if this is unexpected, authenticate again.",
      extensions,
    };
  }
  if (status === 404) return { code: GatewayErrorCode.NOT_FOUND, message: "Not found in Boundary.", extensions };
  if (status === 429) {
    return {
      code: GatewayErrorCode.RATE_LIMITED,
      message: "Boundary's rate limit was reached; retry later.",
      extensions: { ...extensions, retryAfter: err.retryAfter ?? null },
    };
  }
  if (status === 503) {
    // The controller's rate limiter answers 503 with Retry-After when its quota store is full
    // (internal/ratelimit): a hint worth keeping. Without one, the controller is just unavailable.
    if (err.retryAfter !== undefined) {
      return {
        code: GatewayErrorCode.RATE_LIMITED,
        message: "The Boundary controller is over capacity; retry later.",
        extensions: { ...extensions, retryAfter: err.retryAfter },
      };
    }
    return { code: GatewayErrorCode.UPSTREAM_UNAVAILABLE, message: "The Boundary controller is unavailable (HTTP 503).", extensions };
  }
  if (status === 504) return { code: GatewayErrorCode.UPSTREAM_TIMEOUT, message: "The Boundary controller timed out.", extensions };
  return { code: GatewayErrorCode.UPSTREAM_ERROR, message: `The Boundary controller failed (HTTP ${status}).`, extensions };
}

/** Throw from a resolver for a refusal the gateway decides by itself. */
export function gatewayError(code: GatewayErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}
