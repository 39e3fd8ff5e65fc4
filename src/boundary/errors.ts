/**
 * The upstream client's failures: a small closed family with stable codes. The undici error, where there
 * is one, is kept as `cause` for logs; nothing here is client-visible text by itself (the GraphQL layer
 * maps these in one place).
 */
import type { WireError } from "./wire.js";

export type BoundaryErrorCode =
  /** The controller answered with a status >= 400. */
  | "BOUNDARY_API_ERROR"
  /** No answer: connection refused or reset, DNS failure, TLS failure. */
  | "BOUNDARY_UNREACHABLE"
  /** No (complete) answer within the deadline. */
  | "BOUNDARY_TIMEOUT"
  /** An answer that is not what the API promises (malformed JSON, wrong shape). */
  | "BOUNDARY_PROTOCOL_ERROR"
  /** The caller's input was refused before any call (malformed id or token). */
  | "BOUNDARY_INVALID_INPUT"
  /** The caller's credential cannot be sent as an HTTP header value; refused before any call. */
  | "BOUNDARY_INVALID_CREDENTIALS"
  /** A cancel named a version the session no longer has. */
  | "BOUNDARY_VERSION_CONFLICT"
  /** The gateway's own budget of list calls (UPSTREAM_LIST_BUDGET) is spent for now; nothing was sent. */
  | "BOUNDARY_BUDGET_SPENT";

export abstract class BoundaryError extends Error {
  abstract readonly code: BoundaryErrorCode;
}

/** What the refused request carried, so that a refusal can be blamed on the right input. */
export interface SentRequest {
  /** An `Authorization` header went out (the caller's token or the gateway's own). */
  credentials: boolean;
  /** A `list_token` query parameter went out. */
  listToken?: boolean;
  /** A `filter` query parameter went out. */
  filter?: boolean;
}

/** The list-token parser's failures: `handlers.ParseListToken` wraps base58 and protobuf decode errors,
 * and `listtoken.NewPagination`/`NewStartRefresh`/`NewRefresh` refuse decoded fields, all with domain
 * codes that the controller's error handler turns into a 500 (internal/daemon/controller/handlers/
 * list_token.go, handlers/errors.go `backendErrorToApiError`). */
const LIST_TOKEN_PARSER = /^(handlers\.ParseListToken|listtoken\.New(Pagination|StartRefresh|Refresh)): /;

/** What the controller's gRPC recovery handler sends for a panic: the panic value itself
 * (internal/daemon/controller/interceptor.go `recoveryHandler`, `status.Errorf(codes.Internal, "%v", p)`).
 * go-bexpr panics come from reflect ("reflect: call of reflect.Value.Len on uint32 Value") or the
 * runtime ("runtime error: …", "interface conversion: …"); Boundary's own errors start with an op. */
const PANIC_TEXT = /^(reflect: |runtime error: |interface conversion: )/;

export class BoundaryApiError extends BoundaryError {
  readonly code = "BOUNDARY_API_ERROR" as const;
  constructor(
    readonly status: number,
    readonly body: WireError | undefined,
    /** Seconds from a `Retry-After` header, when the controller sent one. */
    readonly retryAfter: number | undefined,
    readonly endpoint: string,
    readonly sent: SentRequest = { credentials: true },
  ) {
    super(`controller answered ${status}${body?.kind ? ` ${body.kind}` : ""} on ${endpoint}`);
    this.name = "BoundaryApiError";
  }
  get kind(): string | undefined {
    return this.body?.kind;
  }
  /** The controller refused the request's list token: a 400 `invalid list token` (a token it issued
   * but no longer accepts), a 400 for a token that decoded to no subtype, or the 500 of a token it
   * could not decode at all. */
  get listTokenRefused(): boolean {
    if (this.sent.listToken !== true) return false;
    if (this.status === 400) return this.kind === "invalid list token" || /list token/.test(this.body?.message ?? "");
    return this.status === 500 && LIST_TOKEN_PARSER.test(this.body?.message ?? "");
  }
  /** The panic text when a list call's filter made go-bexpr panic; undefined otherwise. */
  get filterPanic(): string | undefined {
    if (this.sent.filter !== true || this.status !== 500) return undefined;
    const message = this.body?.message ?? "";
    return PANIC_TEXT.test(message) ? message.slice(0, 200) : undefined;
  }
}

export class BoundaryUnreachableError extends BoundaryError {
  readonly code = "BOUNDARY_UNREACHABLE" as const;
  constructor(
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(`controller unreachable on ${endpoint}`, options);
    this.name = "BoundaryUnreachableError";
  }
}

export class BoundaryTimeoutError extends BoundaryError {
  readonly code = "BOUNDARY_TIMEOUT" as const;
  constructor(
    readonly endpoint: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`controller did not answer ${endpoint} within ${timeoutMs} ms`, options);
    this.name = "BoundaryTimeoutError";
  }
}

export class BoundaryProtocolError extends BoundaryError {
  readonly code = "BOUNDARY_PROTOCOL_ERROR" as const;
  constructor(
    readonly endpoint: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`controller sent an invalid response on ${endpoint}: ${detail}`, options);
    this.name = "BoundaryProtocolError";
  }
}

export class BoundaryInputError extends BoundaryError {
  readonly code = "BOUNDARY_INVALID_INPUT" as const;
  /** `field` names the argument at fault; `message` is safe to show to the caller. */
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "BoundaryInputError";
  }
}

export class BoundaryInvalidCredentialsError extends BoundaryError {
  readonly code = "BOUNDARY_INVALID_CREDENTIALS" as const;
  constructor(readonly endpoint: string) {
    super(`the credential is not a valid header value; ${endpoint} not called`);
    this.name = "BoundaryInvalidCredentialsError";
  }
}

export class BoundaryVersionConflictError extends BoundaryError {
  readonly code = "BOUNDARY_VERSION_CONFLICT" as const;
  /** The session's version when re-read after the controller refused the stale one. */
  constructor(
    readonly sessionId: string,
    readonly sentVersion: number,
    readonly currentVersion: number,
    options?: { cause?: unknown },
  ) {
    super(`session ${sessionId} is at version ${currentVersion}, not ${sentVersion}`, options);
    this.name = "BoundaryVersionConflictError";
  }
}

export class BoundaryBudgetError extends BoundaryError {
  readonly code = "BOUNDARY_BUDGET_SPENT" as const;
  /** Seconds until a call may be made again. */
  constructor(readonly retryAfter: number) {
    super(`the gateway's list-call budget is spent; retry in ${retryAfter} s`);
    this.name = "BoundaryBudgetError";
  }
}
