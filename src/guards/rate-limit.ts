/**
 * Rate limit per token over time: each operation's estimated cost is consumed from its token's
 * allowance (keyed by a hash, src/guards/token-key.ts). Over it: RATE_LIMITED with `retryAfter`,
 * HTTP 429 with Retry-After, before any upstream call. The store is whatever rate-limiter-flexible
 * limiter is passed in: memory for one gateway, RateLimiterRedis for replicas that share one allowance.
 */
import { GraphQLError } from "graphql";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { OperationRequest, RequestHook } from "../execution/index.js";
import { GatewayErrorCode } from "../graphql/errors.js";
import { tokenKey } from "./token-key.js";

/** The limiter for RATE_LIMIT_COST_PER_MINUTE in this process's memory. */

/**
 * `keyOf` names a token in a shared store (with REDIS_URL: an HMAC under the deployment's secret, so every
 * replica counts a token under one key and no token reaches Redis); when it fails, the local hash is used.
 */
export function createRateLimitHook(
  limiter: RateLimiterAbstract,
  onRefused?: () => void,
  keyOf?: (authorization: string) => Promise<string>,
): RequestHook {
  const keyFor = async (request: OperationRequest): Promise<string> => {
    const authorization = request.headers.authorization;
    if (!keyOf || !authorization) return tokenKey(request.headers);
    return keyOf(authorization).catch(() => tokenKey(request.headers));
  };
  return {
    name: "rate-limit",
    async before(request) {
      try {
        // A cost-0 operation (only `__typename`) still counts one, so no operation is free.
        await limiter.consume(await keyFor(request), Math.max(1, request.cost));
      } catch (err) {
        // The store failing is not the caller's fault: let the operation run.
        if (!(err instanceof RateLimiterRes)) return;
        onRefused?.();
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new GraphQLError("Your token's rate limit is spent for now; retry after `retryAfter` seconds.", {
          extensions: {
            code: GatewayErrorCode.RATE_LIMITED,
            retryAfter,
            limit: "RATE_LIMIT_COST_PER_MINUTE",
            http: { status: 429, headers: new Map([["retry-after", String(retryAfter)]]) },
          },
        });
      }
    },
  };
}
