/**
 * The gateway's own guards, in the order they run before the hooks a caller of startGateway adds:
 * the per-token rate limit first (a refusal there costs no queue place), then admission by cost.
 */
import type { Config } from "../config.js";
import type { RequestHook } from "../execution/index.js";
import type { GatewayMetrics } from "../metrics.js";
import { createAdmissionHook } from "./admission.js";
import { createRateLimitHook, memoryRateLimiter } from "./rate-limit.js";

export function guardHooks(config: Config, metrics: GatewayMetrics, extra: readonly RequestHook[] = []): RequestHook[] {
  const hooks: RequestHook[] = [];
  if (config.rateLimitCostPerMinute !== undefined) {
    hooks.push(createRateLimitHook(memoryRateLimiter(config.rateLimitCostPerMinute), () => metrics.countRefusal("RATE_LIMITED")));
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
