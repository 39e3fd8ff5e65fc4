/**
 * Request hooks: what every operation passes through after it is prepared (parsed, validated, chosen,
 * within the limits) and before anything runs, whatever carried it (HTTP POST or GET, a persisted query,
 * one body of a batch, a WebSocket subscription). A hook refuses by throwing a GraphQLError (with
 * `extensions.code`, and `extensions.http` for the status and headers over HTTP); nothing has been sent
 * upstream at that point. `after` runs once the answer has been written out or its connection closed
 * (over HTTP, by src/server.ts; for a subscription: when it ends, however it ends) for
 * every hook whose `before` ran, refusals by later hooks included, so a hook that takes something
 * (an admission slot) always gives it back.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GraphQLError, type DocumentNode, type GraphQLFormattedError, type OperationDefinitionNode } from "graphql";
import type { GatewayContext } from "../graphql/context.js";
import type { PreparedOperation } from "./prepared.js";

/** What carried an operation. */
export type Transport = "http" | "ws" | "sse";

export interface OperationRequest {
  readonly transport: Transport;
  /** The HTTP method (`GET`, `POST`); undefined over WebSocket. */
  readonly method: string | undefined;
  readonly operationType: OperationDefinitionNode["operation"];
  /** The operation's own name, else the requested one. */
  readonly operationName: string | undefined;
  /** The document's text (for a persisted query: the text its hash stands for). */
  readonly query: string;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  /** The request's `extensions` (a persisted query's hash is there). */
  readonly extensions: Readonly<Record<string, unknown>> | undefined;
  /** Headers of the HTTP request (over WebSocket: of the upgrade). Never log them: they carry tokens. */
  readonly headers: IncomingHttpHeaders;
  readonly context: GatewayContext;
  /** The operation's estimated cost (src/graphql/cost.ts), as the limits computed it. */
  readonly cost: number;
}

/** What a transport knows of a request beyond its prepared operation. */
export type RequestFacts = Pick<OperationRequest, "transport" | "method" | "variables" | "extensions" | "headers" | "context" | "cost">;

/** The request the hooks see: a prepared operation and what carried it (one shape for every transport). */
export function operationRequest(op: PreparedOperation, facts: RequestFacts): OperationRequest {
  // Fields listed, not spread: a spread of objects of different shapes (one per transport) was 4% of the
  // gateway's CPU for session(id) in the bench profile.
  return {
    transport: facts.transport,
    method: facts.method,
    variables: facts.variables,
    extensions: facts.extensions,
    headers: facts.headers,
    context: facts.context,
    cost: facts.cost,
    operationType: op.operation.operation,
    operationName: op.operationName,
    query: op.query,
    document: op.document,
    operation: op.operation,
  };
}

export interface OperationOutcome {
  /** Errors as the client sees them (after the one formatter). */
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** The HTTP status, when there is one. */
  readonly status: number | undefined;
}

export interface RequestHook {
  /** Shown in logs when the hook fails unexpectedly. */
  readonly name: string;
  /** Before any upstream call. Throw a GraphQLError to refuse; may be async. */
  before?(request: OperationRequest): void | Promise<void>;
  /** Once the answer has been written (or the client has gone). Must not throw (a throw is logged and ignored). */
  after?(request: OperationRequest, outcome: OperationOutcome): void;
}

export interface HookRunner {
  readonly empty: boolean;
  /**
   * Runs every `before` in order. Resolves to undefined when the operation may run, or to the refusal
   * (a GraphQLError). Synchronous hooks are not awaited, so an empty list costs the hot path nothing.
   */
  before(request: OperationRequest): GraphQLError | undefined | Promise<GraphQLError | undefined>;
  /** Runs `after` of each hook whose `before` ran for this request. */
  after(request: OperationRequest, outcome: OperationOutcome): void;
}

export function createHookRunner(hooks: readonly RequestHook[], onHookError: (hook: string, err: unknown) => void): HookRunner {
  /** How many hooks' `before` ran for a request (all of them unless one refused). */
  const reached = new WeakMap<OperationRequest, number>();
  const refusal = (hook: RequestHook, err: unknown): GraphQLError => {
    if (err instanceof GraphQLError) return err;
    onHookError(hook.name, err);
    return new GraphQLError("Internal server error.", { extensions: { code: "INTERNAL_SERVER_ERROR", http: { status: 500 } } });
  };
  const from = (request: OperationRequest, start: number): GraphQLError | undefined | Promise<GraphQLError | undefined> => {
    for (let i = start; i < hooks.length; i++) {
      const hook = hooks[i]!;
      reached.set(request, i + 1);
      if (!hook.before) continue;
      let pending: void | Promise<void>;
      try {
        pending = hook.before(request);
      } catch (err) {
        return refusal(hook, err);
      }
      if (pending && typeof pending.then === "function") {
        return pending.then(
          () => from(request, i + 1),
          (err: unknown) => refusal(hook, err),
        );
      }
    }
    return undefined;
  };
  return {
    empty: hooks.length === 0,
    before(request) {
      return hooks.length === 0 ? undefined : from(request, 0);
    },
    after(request, outcome) {
      const count = reached.get(request) ?? 0;
      reached.delete(request);
      for (let i = 0; i < count; i++) {
        const hook = hooks[i]!;
        try {
          hook.after?.(request, outcome);
        } catch (err) {
          onHookError(hook.name, err);
        }
      }
    },
  };
}
