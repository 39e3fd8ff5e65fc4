/**
 * One log line and one set of metrics per GraphQL request: operation name, outcome, duration, upstream
 * calls made and error codes. Never the query text or variables (they may carry ids of interest), never
 * headers.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { CallScope } from "./boundary/call-scope.js";
import type { Logger } from "./logger.js";
import type { GatewayMetrics, RequestOutcome } from "./metrics.js";

export function createObservabilityPlugin<TContext extends object>(logger: Logger, metrics: GatewayMetrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, request, contextValue }) {
          const body = response.body.kind === "single" ? response.body.singleResult : response.body.initialResult;
          const errors = body.errors ?? [];
          const codes = errors.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
          // A response whose every root field is null carries no data, whatever its shape.
          const hasData = body.data != null && Object.values(body.data).some((v) => v !== null);
          const outcome: RequestOutcome = errors.length === 0 ? "success" : hasData ? "partial" : "error";
          const seconds = (performance.now() - started) / 1000;
          const name = operationName ?? request.operationName ?? undefined;
          metrics.observeRequest(name, outcome, seconds, codes);
          logger.info(
            {
              operationName: name ?? null,
              outcome,
              durationMs: Math.round(seconds * 1e6) / 1e3,
              upstreamCalls: (contextValue as { callScope?: CallScope }).callScope?.calls ?? 0,
              errorCodes: codes,
              status: response.http.status ?? 200,
            },
            "graphql request",
          );
        },
      };
    },
  };
}
