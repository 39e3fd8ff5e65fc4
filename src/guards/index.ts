/**
 * The gateway's own guards, in the order they run before the hooks a caller of startGateway adds:
 * the per-token rate limit first (a refusal there costs no queue place), then admission by cost.
 */
import type { Config } from "../config.js";
import type { RequestHook } from "../execution/index.js";
import type { GatewayMetrics } from "../metrics.js";
import { createAdmissionHook } from "./admission.js";
import type { LimiterFactory } from "../shared/limiter.js";
import { createRateLimitHook } from "./rate-limit.js";

export interface GuardStores {
  /** The one limiter factory (src/shared/limiter.ts): in this process, or across replicas with REDIS_URL. */
  createLimiter: LimiterFactory;
  /** With REDIS_URL: the deployment-wide keyed hash of a token (src/shared/redis.ts). */
  keyOf?: (authorization: string) => Promise<string>;
}

export function guardHooks(
  config: Config,
  metrics: GatewayMetrics,
  stores: GuardStores,
  extra: readonly RequestHook[] = [],
): RequestHook[] {
  const hooks: RequestHook[] = [];
  if (config.rateLimitCostPerMinute !== undefined) {
    const limiter = stores.createLimiter({ points: config.rateLimitCostPerMinute, duration: 60, keyPrefix: "cost" });
    hooks.push(createRateLimitHook(limiter, () => metrics.countRefusal("RATE_LIMITED"), stores.keyOf));
  }
  const admission = createAdmissionHook({
    ...config.admission,
    onWait: (lane, seconds, admitted) => {
      metrics.observeAdmissionWait(lane, seconds, admitted);
      if (!admitted) metrics.countRefusal("OVERLOADED");
    },
  });
  metrics.watchAdmission(() => admission.state());
  hooks.push(admission);
  return [...hooks, ...extra];
}
