/**
 * Refusals the live layer decides by itself (too many pollers, shutting down, a listing too large to
 * watch). It knows no GraphQL: the one error funnel (`createErrorFormatter` in src/graphql/errors.ts)
 * turns these into client errors, keeping `code` as `extensions.code` and `extensions` as they are.
 */

/** The codes a live refusal carries; each is also a code of the gateway's closed set. */
export type LiveErrorCode = "RATE_LIMITED" | "UPSTREAM_UNAVAILABLE" | "BAD_USER_INPUT";

export class LiveRefusalError extends Error {
  override readonly name = "LiveRefusalError";

  constructor(
    readonly code: LiveErrorCode,
    message: string,
    /** Shown to the client beside `code` (e.g. `retryAfter`, `limit`). */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
