/**
 * The HTTP fast path: the gateway's lean route for the requests that make up nearly all of its traffic,
 * a POST of a query or mutation in a plain JSON body. Apollo Server's pipeline does a great deal per
 * request that such a request does not need (hashing the text, two content negotiations, a dozen plugin
 * hook rounds, a promise per step): measured with the core's compiled executor inside Apollo, it kept
 * about two thirds of this path's throughput on a single read (docs/architecture.md).
 *
 * It is a transport only: preparing, the limits, the context, the hooks, execution and error formatting
 * are the execution core's (src/execution/), the same steps Apollo runs for everything else. It takes a
 * request only when nothing but the core decides its answer: a POST whose body is `query`, `variables`,
 * `operationName` and `extensions` without a persisted query; an `Accept` that allows a JSON answer; a
 * document that is valid, not introspection, not a subscription, and within the limits. Everything else
 * (GET, persisted queries, batches, request errors, limit refusals, introspection, the landing page) is
 * left to Apollo, whose own code writes those answers. `FAST_LANE=false` turns this path off; it changes
 * no answer (test/gateway/fast-lane.test.ts compares both, byte for byte).
 */
import type { IncomingHttpHeaders } from "node:http";
import Negotiator from "negotiator";
import type { GraphQLFormattedError } from "graphql";
import type { CallScope } from "../boundary/call-scope.js";
import { formatErrors } from "../execution/errors.js";
import {
  isRequestErrors,
  operationRequest,
  pagedBody,
  type ExecutionCore,
  type PagedShape,
  type PreparedOperation,
} from "../execution/index.js";
import type { RequestLane } from "../metrics.js";
import type { RequestObserver } from "../observability.js";

/** The media types of a single result, as GraphQL over HTTP names them (and Apollo answers them). */
const APPLICATION_JSON = "application/json; charset=utf-8";
const APPLICATION_GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON_GRAPHQL_CALLBACK = "application/json; callbackSpec=1.0; charset=utf-8";

/** A request the fast path has taken, decided before anything ran. */
export interface FastPathPlan {
  readonly op: PreparedOperation;
  readonly variables: Record<string, unknown> | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly contentType: string;
  /** Set when the operation is a whole listing run page by page (src/execution/paged.ts). */
  readonly paged: PagedShape | undefined;
}

export interface FastPathResponse {
  status: number;
  headers: Record<string, string>;
  /** The body's text, in pieces to write one after another (a paged listing's are one per page). */
  body: string[];
  /**
   * Runs the hooks' `after`: call it once the body has been written out or the connection closed, so
   * that what the hooks hold (an admission slot) covers the answer's bytes until they have left.
   */
  done(): void;
}

export interface FastPath {
  /** The plan for this request, or undefined to leave it to Apollo. Runs nothing, calls nothing. */
  plan(method: string | undefined, accept: string | undefined, body: unknown): FastPathPlan | undefined;
  /** Runs a plan: the hooks, then the operation, with a context built for this request. */
  run(plan: FastPathPlan, headers: IncomingHttpHeaders, callScope: CallScope, started: number): Promise<FastPathResponse>;
}

export function createFastPath(core: ExecutionCore, observe: RequestObserver, maxQueryLength = 64 * 1024): FastPath {
  const contentTypes = new Map<string, string | null>();

  function contentTypeFor(accept: string | undefined): string | null {
    if (!accept) return APPLICATION_JSON;
    let type = contentTypes.get(accept);
    if (type === undefined) {
      // Memoised: clients send a handful of values.
      type =
        new Negotiator({ headers: { accept } }).mediaType([
          APPLICATION_JSON,
          APPLICATION_GRAPHQL_RESPONSE_JSON,
          APPLICATION_JSON_GRAPHQL_CALLBACK,
        ]) ?? null;
      if (contentTypes.size >= 256) contentTypes.clear();
      contentTypes.set(accept, type);
    }
    return type;
  }

  return {
    plan(method, accept, body) {
      if (method !== "POST") return undefined;
      const request = readRequest(body);
      if (!request || request.query.length > maxQueryLength) return undefined;
      const contentType = contentTypeFor(accept);
      if (contentType === null) return undefined;
      const op = core.prepare(request.query, request.operationName);
      if (isRequestErrors(op) || op.introspection || op.operation.operation === "subscription") return undefined;
      // Limits first: compiling a depth-1,000 query took 1.9 s and 265 MB before the limit refused it.
      if (core.verdict(op, request.variables) !== null) return undefined;
      return { op, variables: request.variables, extensions: request.extensions, contentType, paged: core.pagedShape(op) };
    },

    async run(plan, headers, callScope, started) {
      const { op, variables } = plan;
      const context = core.context.build(headers, callScope);
      const request = operationRequest(op, {
        transport: "http",
        method: "POST",
        variables,
        extensions: plan.extensions,
        headers,
        context,
        cost: core.cost(op, variables),
      });
      let status = 200;
      const responseHeaders: Record<string, string> = {};
      let errors: GraphQLFormattedError[] | undefined;
      let data: Record<string, unknown> | null | undefined;
      let extensions: Record<string, unknown> | undefined;
      let items: readonly string[] | undefined;
      let lane: RequestLane = "fast";
      const refusal = core.hooks.empty ? undefined : await core.hooks.before(request);
      if (refusal) {
        const formatted = formatErrors([refusal], core.formatError, callScope.requestId);
        errors = formatted.errors;
        status = formatted.head.status ?? 500;
        Object.assign(responseHeaders, formatted.head.headers);
      } else {
        let result;
        if (plan.paged) {
          lane = "paged";
          ({ result, items } = await core.executePaged(op, variables, context, plan.paged));
        } else result = await core.execute(op, variables, context);
        data = result.data;
        extensions = result.extensions;
        if (result.errors) {
          const formatted = formatErrors(result.errors, core.formatError, callScope.requestId);
          errors = formatted.errors;
          Object.assign(responseHeaders, formatted.head.headers);
          // Errors and no data is a request error (400) unless an error asked for a status.
          status = formatted.head.status ?? (data === undefined ? 400 : 200);
        }
      }
      responseHeaders["content-type"] = plan.contentType;
      const answer = { errors, data, extensions };
      const body = plan.paged && items ? pagedBody(answer, plan.paged, items) : [`${JSON.stringify(answer)}\n`];
      observe({ started, operationName: op.operationName, data, errors, status, callScope, lane });
      const outcome = { errors, status };
      const done = core.hooks.empty ? noop : () => core.hooks.after(request, outcome);
      return { status, headers: responseHeaders, body, done };
    },
  };
}

const noop = () => {};

/** The GraphQL request in a POST body, when it has the plain form the fast path takes. */
function readRequest(body: unknown):
  | {
      query: string;
      variables: Record<string, unknown> | undefined;
      operationName: string | undefined;
      extensions: Record<string, unknown> | undefined;
    }
  | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  let query: string | undefined;
  let variables: Record<string, unknown> | undefined;
  let operationName: string | undefined;
  let extensions: Record<string, unknown> | undefined;
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key];
    switch (key) {
      case "query":
        if (typeof value !== "string") return undefined;
        query = value;
        break;
      case "variables":
        if (value === null) break;
        if (typeof value !== "object" || Array.isArray(value)) return undefined;
        variables = value as Record<string, unknown>;
        break;
      case "operationName":
        if (value === null) break;
        if (typeof value !== "string") return undefined;
        operationName = value;
        break;
      case "extensions":
        // Client libraries send some (Apollo Client's `clientLibrary`); a persisted query needs Apollo's cache.
        if (value === null) break;
        if (typeof value !== "object" || Array.isArray(value) || "persistedQuery" in value) return undefined;
        extensions = value as Record<string, unknown>;
        break;
      default:
        return undefined;
    }
  }
  return query === undefined || query === "" ? undefined : { query, variables, operationName, extensions };
}
