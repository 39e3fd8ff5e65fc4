/**
 * The execution core: what every transport (HTTP POST and GET, persisted queries, batches, WebSocket
 * subscriptions, and SSE) runs, so each step exists once:
 *
 *   documents (a manifest id to its text; enforce mode refuses the rest) src/execution/documents.ts
 *   prepare (parse, validate, choose the operation; cached by text)   src/execution/prepared.ts
 *   limits  (depth, aliases, root fields, cost; verdict cached)        src/execution/limits.ts
 *   context (token, loaders, call scope)                               src/execution/context.ts
 *   hooks   (ordered; may refuse before any upstream call)             src/execution/hooks.ts
 *   execute (graphql-jit, compiled once per operation; graphql-js for introspection and what jit declines)
 *   errors  (one formatter; a result's errors normalised once)         src/execution/errors.ts
 *   paged   (a whole listing run page by page, written as text)         src/execution/paged.ts
 *
 * Transports only read their wire format and write the answer: src/transport/fast-path.ts (plain POSTs),
 * src/execution/apollo.ts (Apollo Server runs this core for what the fast path leaves to it) and
 * src/transport/ws.ts. docs/architecture.md draws the path.
 */
import { GraphQLError, execute, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery } from "graphql-jit";
import type { QueryLimits } from "../config.js";
import type { GatewayContext } from "../graphql/context.js";
import { createContextBuilder, type ContextBuilder, type ContextDeps } from "./context.js";
import type { DocumentResolver } from "./documents.js";
import { createErrorFormatter, rebuildError, type ErrorFormatter, type ErrorLogger } from "./errors.js";
import { createHookRunner, type HookRunner, type RequestHook } from "./hooks.js";
import { createLimitChecker } from "./limits.js";
import { settleListFields } from "./list-settling.js";
import { executePaged, pagedShape, type PagedResult, type PagedShape } from "./paged.js";
import { createPreparedCache, type Prepared, type PreparedCache, type PreparedCacheOptions, type PreparedOperation } from "./prepared.js";

export interface ExecutionCoreOptions {
  schema: GraphQLSchema;
  limits: QueryLimits;
  contextDeps: ContextDeps;
  logger: ErrorLogger & { warn(obj: Record<string, unknown>, msg: string): void };
  /** Run in this order for every operation of every transport. */
  hooks?: readonly RequestHook[];
  /** Trusted documents (PERSISTED_DOCUMENTS): what text an id or a request stands for; see src/execution/documents.ts. */
  documents?: DocumentResolver;
  /** Bounds of the prepared-operation cache (defaults in src/execution/prepared.ts). */
  cache?: Omit<PreparedCacheOptions, "maxTokens">;
  /** Run whole listings page by page where the transport can write them so (PAGED_LISTINGS). Default true. */
  pagedListings?: boolean;
}

export interface ExecutionCore {
  readonly schema: GraphQLSchema;
  /** The operation to run for a document's text, or its request errors (cached by text). */
  prepare(query: string, operationName: string | undefined): Prepared;
  /** The query limits' refusal for this operation and these variables, or null (cached per document). */
  verdict(op: PreparedOperation, variables: Record<string, unknown> | undefined): GraphQLError | null;
  /** The estimated cost of an operation whose verdict passed (from the verdict cache, no second walk). */
  cost(op: PreparedOperation, variables: Record<string, unknown> | undefined): number;
  readonly context: ContextBuilder;
  readonly hooks: HookRunner;
  /** Every transport resolves a request's document here before preparing it; undefined without a manifest. */
  readonly documents: DocumentResolver | undefined;
  /** The one error formatter (Apollo's `formatError` too). */
  readonly formatError: ErrorFormatter;
  /** Runs a query or mutation that passed the verdict and the hooks. */
  execute(
    op: PreparedOperation,
    variables: Record<string, unknown> | undefined,
    context: GatewayContext,
  ): Promise<ExecutionResult> | ExecutionResult;
  /**
   * Where a whole listing's items sit in this operation's answer when it runs page by page, or
   * undefined when it runs as one execution (src/execution/paged.ts). Only a transport that writes the
   * answer's text itself asks (the HTTP fast path); the others get one result object.
   */
  pagedShape(op: PreparedOperation): PagedShape | undefined;
  /** Runs an operation that has a paged shape, as `execute` would answer it, its items as text. */
  executePaged(
    op: PreparedOperation,
    variables: Record<string, unknown> | undefined,
    context: GatewayContext,
    shape: PagedShape,
  ): Promise<PagedResult>;
  /** The prepared cache (its size for tests and metrics). */
  readonly cache: PreparedCache;
}

export function createExecutionCore(options: ExecutionCoreOptions): ExecutionCore {
  const { schema, limits, contextDeps, logger } = options;
  settleListFields(schema);
  const cache = createPreparedCache(schema, { ...options.cache, maxTokens: limits.maxTokens });
  const checkLimits = createLimitChecker(limits, contextDeps.maxListItems);
  const hooks = createHookRunner(options.hooks ?? [], (hook, err) =>
    logger.error({ hook, err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, "request hook failed"),
  );

  const pagedListings = options.pagedListings ?? true;
  const core: ExecutionCore = {
    schema,
    cache,
    prepare: (query, operationName) => cache.prepare(query, operationName),
    verdict: (op, variables) => checkLimits.check(schema, op.document, op.operation, variables),
    cost: (op, variables) => checkLimits.cost(op.document, op.operation, variables),
    context: createContextBuilder(contextDeps),
    hooks,
    documents: options.documents,
    formatError: createErrorFormatter(logger),
    execute(op, variables, context) {
      if (op.compiled === null) op.compiled = compile(schema, op);
      if (op.compiled) {
        const result = op.compiled.query(undefined, context, variables ?? {});
        return isPromise(result) ? result.then(withExtensions) : withExtensions(result);
      }
      return execute({ schema, document: op.document, contextValue: context, variableValues: variables, operationName: op.operationName });
    },
    pagedShape: (op) => (pagedListings ? pagedShape(op.operation) : undefined),
    executePaged: (op, variables, context, shape) => executePaged((ctx) => core.execute(op, variables, ctx), shape, context),
  };
  return core;
}

/**
 * graphql-jit's errors may carry no `extensions` object at all, which Apollo's error normalisation
 * reads unguarded: each is rebuilt as graphql-js builds it (only when a result has errors).
 */
function withExtensions(result: ExecutionResult): ExecutionResult {
  if (!result.errors || result.errors.every((e) => e.extensions)) return result;
  const errors = result.errors.map((e) => (e.extensions ? e : rebuildError(e, {})));
  return { ...result, errors };
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === "function";
}

/**
 * The operation as a function (graphql-jit): no per-field paths, argument maps or promise bookkeeping as
 * in graphql-js's interpreter. Undefined (graphql-js runs it) for introspection, and when jit declines.
 */
function compile(schema: GraphQLSchema, op: PreparedOperation) {
  if (op.introspection || op.operation.operation === "subscription") return undefined;
  try {
    const compiled = compileQuery(schema, op.document, op.operationName);
    return isCompiledQuery(compiled) ? compiled : undefined;
  } catch {
    return undefined;
  }
}

export type { PreparedOperation, Prepared } from "./prepared.js";
export { isRequestErrors } from "./prepared.js";
export type { RequestHook, OperationRequest, OperationOutcome, Transport } from "./hooks.js";
export { operationRequest } from "./hooks.js";
export { pagedBody, type PagedShape, type PagedResult } from "./paged.js";
