/**
 * OpenTelemetry tracing, off unless configured (src/config.ts `tracing`). Three spans per GraphQL request:
 * the HTTP request (server), each operation (internal, from a request hook, so every transport gets it)
 * and each upstream attempt (client, from the call funnel through `CallScope.trace`). docs/operations.md
 * lists their names and attributes.
 *
 * Contexts are passed explicitly (request -> call scope -> upstream funnel) rather than through a global
 * context manager: AsyncLocalStorage on Node 20 hooks every promise of the process (see
 * src/boundary/call-scope.ts), and a process-wide registration would tie the tracer to the first gateway
 * started in a process. Nothing here runs when tracing is off: the server holds no tracer then.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { CallScope } from "./boundary/call-scope.js";
import type { UpstreamTrace } from "./boundary/upstream-trace.js";
import { BoundaryApiError } from "./boundary/errors.js";
import type { TracingConfig } from "./config.js";
import type { OperationRequest, RequestHook } from "./execution/index.js";

export interface HttpSpan {
  /** The request's context: its call scope's upstream calls become children of it. */
  readonly context: Context;
  end(status: number): void;
}

export interface GatewayTracing {
  /** A server span for an inbound request, continuing its `traceparent` when it carries a valid one. */
  startHttp(method: string, route: string, headers: IncomingHttpHeaders): HttpSpan;
  /** Binds a call scope's upstream calls to `parent`. */
  bind(scope: CallScope, parent: Context): void;
  /** The operation span, as a request hook (last, so refused operations get theirs too). */
  readonly hook: RequestHook;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key],
};
const headerSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

export function createTracing(config: TracingConfig): GatewayTracing {
  // Headers, timeout and compression come from the standard OTEL_EXPORTER_OTLP_* variables, which the
  // exporter reads itself; the sampler from OTEL_TRACES_SAMPLER(_ARG), which the provider reads.
  const exporter = new OTLPTraceExporter(config.tracesUrl === undefined ? {} : { url: config.tracesUrl });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer("boundary-graphql");
  /** The context each traced operation runs in, to end its span and restore the scope afterwards. */
  const operations = new WeakMap<OperationRequest, { span: Span; parent: UpstreamTrace | undefined }>();

  const upstreamTrace = (parent: Context): UpstreamTrace => ({
    start(endpoint, attempt, headers) {
      const space = endpoint.indexOf(" ");
      const span = tracer.startSpan(
        endpoint,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "http.request.method": endpoint.slice(0, space),
            "url.template": endpoint.slice(space + 1),
            // Semantic conventions: the ordinal of a resend, absent on the first attempt.
            ...(attempt > 1 ? { "http.request.resend_count": attempt - 1 } : {}),
          },
        },
        parent,
      );
      propagator.inject(trace.setSpan(parent, span), headers, headerSetter);
      return (status, error) => {
        if (status > 0) span.setAttribute("http.response.status_code", status);
        if (error !== undefined) {
          span.setAttribute("error.type", error instanceof BoundaryApiError ? String(error.status) : ((error as Error).name ?? "Error"));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      };
    },
  });

  return {
    startHttp(method, route, headers) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
      const span = tracer.startSpan(
        `${method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "http.route": route } },
        parent,
      );
      return {
        context: trace.setSpan(parent, span),
        end(status) {
          span.setAttribute("http.response.status_code", status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    bind(scope, parent) {
      scope.trace = upstreamTrace(parent);
      parentOf.set(scope.trace, parent);
    },
    hook: {
      name: "tracing",
      before(request) {
        const scope = request.context.callScope;
        const parent = scope?.trace ? parentOf.get(scope.trace) : undefined;
        const type = request.operationType;
        const name = request.operationName;
        const documentId = persistedId(request.extensions);
        const span = tracer.startSpan(
          name === undefined ? type : `${type} ${name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              "graphql.operation.type": type,
              ...(name !== undefined ? { "graphql.operation.name": name } : {}),
              ...(documentId !== undefined ? { "graphql.document.id": documentId } : {}),
              "graphql.transport": request.transport,
            },
          },
          parent ?? ROOT_CONTEXT,
        );
        operations.set(request, { span, parent: scope?.trace });
        if (scope) {
          const ctx = trace.setSpan(parent ?? ROOT_CONTEXT, span);
          scope.trace = upstreamTrace(ctx);
          parentOf.set(scope.trace, ctx);
        }
      },
      after(request, outcome) {
        const entry = operations.get(request);
        if (!entry) return;
        operations.delete(request);
        const codes = outcome.errors?.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR")) ?? [];
        if (codes.length > 0) {
          entry.span.setAttribute("graphql.error.codes", codes);
          entry.span.setStatus({ code: SpanStatusCode.ERROR });
        }
        entry.span.end();
        const scope = request.context.callScope;
        if (scope && entry.parent) scope.trace = entry.parent;
      },
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}

/** The context an UpstreamTrace was bound to (boundary's interface carries no tracing types). */
const parentOf = new WeakMap<UpstreamTrace, Context>();

/** An automatic persisted query's hash, or a trusted document's id, when the request names one. */
function persistedId(extensions: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!extensions) return undefined;
  const pq = extensions.persistedQuery as { sha256Hash?: unknown } | undefined;
  if (typeof pq?.sha256Hash === "string") return pq.sha256Hash.slice(0, 128);
  const id = extensions.documentId;
  return typeof id === "string" ? id.slice(0, 128) : undefined;
}
