/**
 * Apollo Server on the execution core. Apollo keeps what it does well and what only some requests need
 * (GET and its CSRF rules, persisted queries, batches, introspection control, the landing page, content
 * negotiation); everything that decides an answer is the core's:
 * - a plugin, at `didResolveOperation`, takes the core's prepared operation for the text Apollo parsed,
 *   applies its limit verdict and runs its hooks (which may refuse), and at `willSendResponse` runs the
 *   hooks' `after`, or hands it to the transport's `defer` to run once the body has been written;
 * - a gateway executor (`@apollo/server-gateway-interface`, the hook Apollo gives a gateway) runs the
 *   core's compiled operation with the core's context, instead of Apollo's graphql-js execution;
 * - `formatError` is the core's.
 * Measured against the separate fast path (docs/architecture.md), this path keeps about two thirds of
 * its throughput on a single read, so plain POSTs still take src/transport/fast-path.ts, which runs the
 * same core; Apollo is pinned to one minor (`~`) as that path mirrors its answers.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { GraphQLError, execute, printSchema } from "graphql";
import type { CallScope } from "../boundary/call-scope.js";
import type { GatewayContext } from "../graphql/context.js";
import type { ExecutionCore } from "./index.js";
import { operationRequest, type OperationRequest, type PreparedOperation } from "./index.js";
import { isRequestErrors } from "./prepared.js";
import { nameErrors, withRequestId } from "./errors.js";

/** Where an HTTP context carries its request's headers (copied by Apollo's per-operation clone). */
const HEADERS: unique symbol = Symbol("request headers");

/** Where an HTTP context carries the transport's `defer` (shared by the clones of a batch). */
const DEFER: unique symbol = Symbol("run after the response");

type HttpContext = GatewayContext & { [HEADERS]?: IncomingHttpHeaders; [DEFER]?: (fn: () => void) => void };

export interface ApolloExecution {
  /** Pass as ApolloServer's `gateway` (instead of `schema`). */
  readonly gateway: GatewayInterface;
  readonly plugin: ApolloServerPlugin<GatewayContext>;
  /**
   * The context function's body: this request's context, carrying its headers for the hooks. `defer`
   * receives the hooks' `after` for each operation, to run once the response has been written.
   */
  context(headers: IncomingHttpHeaders, callScope: CallScope, defer?: (fn: () => void) => void): GatewayContext;
}

export function createApolloExecution(core: ExecutionCore): ApolloExecution {
  /** Per operation (Apollo clones the context for each operation of a batch): what the plugin decided. */
  const decided = new WeakMap<object, { op: PreparedOperation; request: OperationRequest }>();

  const executor: GatewayExecutor = async (rc) => {
    const entry = decided.get(rc.context);
    if (entry)
      return (await core.execute(entry.op, rc.request.variables, rc.context as GatewayContext)) as Awaited<ReturnType<GatewayExecutor>>;
    // No operation was chosen: graphql-js reports why, and Apollo answers OPERATION_RESOLUTION_FAILURE.
    return (await execute({
      schema: core.schema,
      document: rc.document,
      contextValue: rc.context,
      variableValues: rc.request.variables,
      operationName: rc.request.operationName,
    })) as Awaited<ReturnType<GatewayExecutor>>;
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: core.schema, coreSupergraphSdl: printSchema(core.schema) });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, operation, source, contextValue }) {
          if (!operation) return;
          const prepared = core.prepare(source, request.operationName ?? undefined);
          // Apollo validated the same text with the same rules, so this is the cached operation.
          if (isRequestErrors(prepared)) throw fresh(prepared.errors[0]!);
          const refusal = core.verdict(prepared, request.variables);
          if (refusal) throw fresh(refusal);
          // The prepared text is the one Apollo resolved (for a persisted query: the text its hash stands for).
          const opRequest = operationRequest(prepared, {
            transport: "http",
            method: request.http?.method,
            variables: request.variables,
            extensions: request.extensions,
            headers: (contextValue as HttpContext)[HEADERS] ?? {},
            context: contextValue,
            cost: core.cost(prepared, request.variables),
          });
          decided.set(contextValue, { op: prepared, request: opRequest });
          const hookRefusal = await core.hooks.before(opRequest);
          if (hookRefusal) throw fresh(hookRefusal);
        },
        async didEncounterErrors({ errors, contextValue }) {
          // Apollo formats these next, without the context: named here, its log lines carry the id.
          const requestId = contextValue.callScope?.requestId;
          if (requestId !== undefined) nameErrors(errors, requestId);
        },
        async willSendResponse({ response, contextValue }) {
          // Every error Apollo answers with, parse and validation errors included, names the request.
          const requestId = contextValue.callScope?.requestId;
          if (requestId !== undefined && response.body.kind === "single" && response.body.singleResult.errors)
            response.body.singleResult.errors = response.body.singleResult.errors.map((e) => withRequestId(e, requestId));
          const entry = decided.get(contextValue);
          if (!entry) return;
          const body = response.body.kind === "single" ? response.body.singleResult : response.body.initialResult;
          const outcome = { errors: body.errors, status: response.http.status ?? 200 };
          const after = () => core.hooks.after(entry.request, outcome);
          // Apollo has not written the body yet: what the hooks hold (an admission slot) covers it until then.
          const defer = (contextValue as HttpContext)[DEFER];
          if (defer) defer(after);
          else after();
        },
      };
    },
  };

  return {
    gateway,
    plugin,
    context(headers, callScope, defer) {
      const context: HttpContext = core.context.build(headers, callScope);
      context[HEADERS] = headers;
      if (defer) context[DEFER] = defer;
      return context;
    },
  };
}

/** A fresh copy of a cached refusal: Apollo's pipeline may annotate the error it is given. */
function fresh(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: error.extensions });
}
