/**
 * One log line and one set of metrics per GraphQL request: operation name, outcome, duration, upstream
 * calls made and error codes. Never the query text or variables (they may carry ids of interest), never
 * headers. The same observer serves Apollo's pipeline (the plugin) and the fast lane.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLFormattedError } from "graphql";
import type { CallScope } from "./boundary/call-scope.js";
import type { Logger } from "./logger.js";
import type { GatewayMetrics, RequestLane, RequestOutcome } from "./metrics.js";

export interface ObservedRequest {
  /** `performance.now()` when the request started. */
  started: number;
  operationName: string | undefined;
  data: Record<string, unknown> | null | undefined;
  errors: readonly GraphQLFormattedError[] | undefined;
  status: number;
  callScope: CallScope | undefined;
  /** Which path answered. Default apollo. */
  lane?: RequestLane;
}

export type RequestObserver = (request: ObservedRequest) => void;

export function createRequestObserver(logger: Logger, metrics: GatewayMetrics): RequestObserver {
  return ({ started, operationName, data, errors = [], status, callScope, lane = "apollo" }) => {
    const codes = errors.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
    // A response whose every root field is null carries no data, whatever its shape.
    const hasData = data != null && Object.values(data).some((v) => v !== null);
    const outcome: RequestOutcome = errors.length === 0 ? "success" : hasData ? "partial" : "error";
    const seconds = (performance.now() - started) / 1000;
    metrics.observeRequest(operationName, outcome, seconds, codes, lane);
    logger.info(
      {
        // Client-chosen text: a line must not grow with it.
        operationName: operationName === undefined ? null : operationName.length > 64 ? `${operationName.slice(0, 64)}…` : operationName,
        outcome,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        upstreamCalls: callScope?.calls ?? 0,
        errorCodes: codes,
        status,
        lane,
        requestId: callScope?.requestId,
      },
      "graphql request",
    );
  };
}

export function createObservabilityPlugin<TContext extends object>(observe: RequestObserver): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, request, contextValue }) {
          const body = response.body.kind === "single" ? response.body.singleResult : response.body.initialResult;
          observe({
            started,
            operationName: operationName ?? request.operationName ?? undefined,
            data: body.data,
            errors: body.errors,
            status: response.http.status ?? 200,
            callScope: (contextValue as { callScope?: CallScope }).callScope,
          });
        },
      };
    },
  };
}
