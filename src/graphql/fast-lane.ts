/**
 * The fast lane: the gateway's own lean path for the requests that make up nearly all of its traffic,
 * a POST of a query or mutation whose text has been seen before. Apollo Server's pipeline does a great
 * deal per request that such a request does not need (hashing the query text, two content
 * negotiations, a dozen plugin hook rounds, a promise per step); profiles of `npm run bench` put it at
 * about a quarter of the gateway's CPU on a single read. So the fast lane keeps its own cache of parsed
 * and validated documents and runs them with graphql-js directly.
 *
 * It only takes what it can answer exactly as Apollo would, and decides that before anything runs:
 * a POST with a JSON object body (`query`, `variables`, `operationName`, `extensions` without a
 * persisted query), a document that parses and validates (with graphql-js's rules, which are Apollo's
 * here: introspection documents are left to Apollo, whose NoIntrospection rule may apply), a resolvable
 * query or mutation, an `Accept` that allows a JSON answer, and an operation within the query limits.
 * Everything else (GET, persisted queries, batches, syntax and validation errors, refusals,
 * subscriptions, introspection, the landing page) goes to Apollo untouched, so every error a client
 * can cause before execution still comes from Apollo's own code.
 *
 * What it does then mirrors Apollo's: the same query limits (one shared verdict cache), the same error
 * funnel (`formatError`, after Apollo's normalisation: `extensions.code` defaulted, `extensions.http`
 * turned into the status and headers), the same body (`{errors, data, extensions}` and a newline), the
 * same content type, and the same request log line and metrics. test/fast-lane.test.ts sends the same
 * operations down both paths and compares the answers byte for byte.
 */
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import Negotiator from "negotiator";
import {
  Kind,
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  visit,
  BREAK,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { CallScope } from "../boundary/call-scope.js";
import type { RequestObserver } from "../observability.js";
import type { LimitChecker } from "./limits.js";

/** Apollo's media types for a single result (ApolloServer.ts, MEDIA_TYPES). */
const APPLICATION_JSON = "application/json; charset=utf-8";
const APPLICATION_GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON_GRAPHQL_CALLBACK = "application/json; callbackSpec=1.0; charset=utf-8";

/** A request the fast lane has taken: everything needed to run it, decided before anything ran. */
export interface FastLanePlan {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  /** The operation compiled by graphql-jit, or undefined to run it with graphql-js. */
  readonly compiled: CompiledQuery | undefined;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown> | undefined;
  readonly contentType: string;
}

export interface FastLaneResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface FastLaneOptions {
  schema: GraphQLSchema;
  checkLimits: LimitChecker;
  /** The gateway's one error funnel (Apollo's `formatError`). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  observe: RequestObserver;
  /** Most distinct query texts kept parsed (oldest dropped first). Default 1000. */
  maxDocuments?: number;
  /** Longest query text kept in the cache; longer ones go to Apollo. Default 64 KiB. */
  maxQueryLength?: number;
  /** Most bytes the cache may hold, estimated from query text lengths (`bytesFor`); oldest dropped
   * first. A count alone does not bound it: 1,000 distinct 62 KB queries held 3.2 GB. Default 32 MiB. */
  maxCacheBytes?: number;
  /** Most lexical tokens a query may have (MAX_TOKENS); longer ones go to Apollo, which refuses them. */
  maxTokens?: number;
}

export interface FastLane {
  /** The plan for this request, or undefined to leave it to Apollo. Runs nothing, calls nothing. */
  plan(method: string | undefined, accept: string | undefined, body: unknown): FastLanePlan | undefined;
  /** Run a plan with a context built for this request (its call scope is read for the log line). */
  run(plan: FastLanePlan, contextValue: { callScope?: CallScope }, started: number): Promise<FastLaneResponse>;
  /** Documents in the cache (tests, metrics). */
  readonly size: number;
  /** Estimated bytes the cache holds (tests, metrics); at most `maxCacheBytes`. */
  readonly bytes: number;
}

/** A cached query text: its document, or null when Apollo must answer it (syntax, validation,
 * introspection), and its operations by requested name. */
interface Prepared {
  document: DocumentNode | null;
  /** Compiled is null until the operation first passes the limits: a refused one is never compiled. */
  operations: Map<string, { operation: OperationDefinitionNode; compiled: CompiledQuery | undefined | null } | null>;
  /** What this entry counts against the cache's byte budget. */
  bytes: number;
}

/**
 * Heap bytes per character of query text that a parsed document costs: measured at about 49 for a
 * query of short aliases (one AST node, location and token objects per few characters), the densest
 * kind; the text itself (the cache key) is counted on top. Compiled forms are not counted.
 */
const AST_BYTES_PER_CHAR = 50;

/** The estimated heap cost of caching a query text and its document (or null: only the text). */
function bytesFor(query: string, document: DocumentNode | null): number {
  return 2 * query.length + (document ? AST_BYTES_PER_CHAR * query.length : 0) + 256;
}

export function createFastLane(options: FastLaneOptions): FastLane {
  const { schema, checkLimits, formatError, observe } = options;
  const maxDocuments = options.maxDocuments ?? 1000;
  const maxQueryLength = options.maxQueryLength ?? 64 * 1024;
  const maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
  const maxTokens = options.maxTokens;
  const documents = new Map<string, Prepared>();
  let bytes = 0;
  const contentTypes = new Map<string, string | null>();

  function prepare(query: string): Prepared {
    let prepared = documents.get(query);
    if (prepared) return prepared;
    const document = parseAndValidate(schema, query, maxTokens);
    prepared = { document, operations: new Map(), bytes: bytesFor(query, document) };
    // Too large for the whole budget: answered, but not kept (nor allowed to flush the cache).
    if (prepared.bytes > maxCacheBytes) return prepared;
    while (documents.size > 0 && (documents.size >= maxDocuments || bytes + prepared.bytes > maxCacheBytes)) {
      const oldest = documents.keys().next().value!;
      bytes -= documents.get(oldest)!.bytes;
      documents.delete(oldest);
    }
    documents.set(query, prepared);
    bytes += prepared.bytes;
    return prepared;
  }

  function contentTypeFor(accept: string | undefined): string | null {
    if (!accept) return APPLICATION_JSON;
    let type = contentTypes.get(accept);
    if (type === undefined) {
      // Apollo's chooseContentTypeForSingleResultResponse, memoised: clients send a handful of values.
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
    get size() {
      return documents.size;
    },
    get bytes() {
      return bytes;
    },

    plan(method, accept, body) {
      if (method !== "POST") return undefined;
      const request = readRequest(body);
      if (!request || request.query.length > maxQueryLength) return undefined;
      const contentType = contentTypeFor(accept);
      if (contentType === null) return undefined;
      const prepared = prepare(request.query);
      const document = prepared.document;
      if (document === null) return undefined;
      const name = request.operationName ?? "";
      let entry = prepared.operations.get(name);
      if (entry === undefined) {
        const operation = getOperationAST(document, request.operationName);
        entry = operation && operation.operation !== "subscription" ? { operation, compiled: null } : null;
        // Bounded like the cache itself: names come from clients.
        if (prepared.operations.size >= 16) prepared.operations.clear();
        prepared.operations.set(name, entry);
      }
      if (entry === null) return undefined;
      const { operation } = entry;
      // Limits first: compiling a depth-1,000 query took 1.9 s and 265 MB before the limit refused it.
      if (checkLimits(schema, document, operation, request.variables) !== null) return undefined;
      if (entry.compiled === null) entry.compiled = compile(schema, document, request.operationName);
      const compiled = entry.compiled;
      return { document, operation, compiled, operationName: request.operationName, variables: request.variables, contentType };
    },

    async run(plan, contextValue, started) {
      const result: ExecutionResult = await (plan.compiled
        ? plan.compiled.query(undefined, contextValue, plan.variables ?? {})
        : execute({ schema, document: plan.document, contextValue, variableValues: plan.variables, operationName: plan.operationName }));
      let status: number | undefined;
      const headers: Record<string, string> = {};
      let errors: GraphQLFormattedError[] | undefined;
      if (result.errors) {
        errors = result.errors.map((error) => {
          try {
            const enriched = enrich(error, (head) => {
              if (head.status !== undefined) status = head.status;
              if (head.headers) for (const [k, v] of head.headers) headers[k] = v;
            });
            return formatError(enriched, error);
          } catch {
            // As Apollo does when the formatter itself throws.
            return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
          }
        });
        // Apollo 5: errors and no data (variable coercion) is a 400 unless an error set a status.
        if (result.data === undefined && status === undefined) status = 400;
      }
      const finalStatus = status ?? 200;
      headers["content-type"] = plan.contentType;
      const body = `${JSON.stringify({ errors, data: result.data, extensions: result.extensions })}\n`;
      observe({
        started,
        operationName: plan.operation.name?.value || plan.operationName,
        data: result.data,
        errors,
        status: finalStatus,
        callScope: contextValue.callScope,
        lane: "fast",
      });
      return { status: finalStatus, headers, body };
    },
  };
}

/** The GraphQL request in a POST body, when it has the plain form the fast lane takes. */
function readRequest(body: unknown): { query: string; variables: Record<string, unknown> | undefined; operationName: string | undefined } | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  let query: string | undefined;
  let variables: Record<string, unknown> | undefined;
  let operationName: string | undefined;
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
        break;
      default:
        return undefined;
    }
  }
  return query === undefined || query === "" ? undefined : { query, variables, operationName };
}

/** The operation as a function (graphql-jit): no per-field paths, argument maps or promise
 * bookkeeping as in graphql-js's interpreter. Undefined (graphql-js runs it) if jit declines it. */
function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledQuery | undefined {
  try {
    const compiled = compileQuery(schema, document, operationName);
    return isCompiledQuery(compiled) ? compiled : undefined;
  } catch {
    return undefined;
  }
}

/** Parse and validate once; null when Apollo must answer (it reports the errors its own way). */
function parseAndValidate(schema: GraphQLSchema, query: string, maxTokens: number | undefined): DocumentNode | null {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens });
  } catch {
    return null;
  }
  if (hasIntrospection(document)) return null;
  return validate(schema, document, specifiedRules).length === 0 ? document : null;
}

/** Whether the document selects `__schema` or `__type` anywhere (Apollo's NoIntrospection rule). */
function hasIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value === "__schema" || node.name.value === "__type") {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

interface HttpHead {
  status?: number;
  headers?: Map<string, string>;
}

/** Apollo's normalisation before `formatError` (errorNormalize.ts, enrichError): a default code, and
 * `extensions.http` moved into the response head. */
function enrich(error: GraphQLError, setHead: (head: HttpHead) => void): GraphQLFormattedError {
  // graphql-jit's errors may have no extensions object at all.
  const extensions: Record<string, unknown> = {
    ...error.extensions,
    code: error.extensions?.code ?? "INTERNAL_SERVER_ERROR",
  };
  const http = extensions.http;
  if (isHttpHead(http)) {
    setHead(http);
    delete extensions.http;
  }
  return { ...error.toJSON(), extensions };
}

function isHttpHead(x: unknown): x is HttpHead {
  return (
    !!x &&
    typeof x === "object" &&
    (!("status" in x) || typeof (x as HttpHead).status === "number") &&
    (!("headers" in x) || (x as HttpHead).headers instanceof Map)
  );
}
