/**
 * The prepared-operation cache: a document's text parsed, validated and its operations chosen once, and
 * shared by every transport (the HTTP fast path, Apollo's executor, WebSocket subscriptions). A request
 * error (syntax, validation, no operation to run) is cached as well, with the code clients know it by.
 * Bounded by count and by an estimate of the heap it holds: 1,000 distinct 62 KB queries held 3.2 GB
 * when only the count was bounded.
 */
import {
  Kind,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  visit,
  BREAK,
  GraphQLError,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { CompiledQuery } from "graphql-jit";
import { requestError } from "./errors.js";

export interface PreparedOperation {
  readonly query: string;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  /** The operation's own name, else the one the request asked for. */
  readonly operationName: string | undefined;
  /** Selects `__schema` or `__type`: run by graphql-js, and left to Apollo over HTTP (its introspection switch). */
  readonly introspection: boolean;
  /** graphql-jit's compiled form: null until first run (a refused operation is never compiled),
   * undefined when jit declines it and graphql-js runs it. Set by src/execution/index.ts. */
  compiled: CompiledQuery | undefined | null;
}

/** Why a document cannot run, as errors carrying their code and an HTTP 400. */
export interface RequestErrors {
  readonly errors: readonly GraphQLError[];
}

export type Prepared = PreparedOperation | RequestErrors;

export const isRequestErrors = (p: Prepared): p is RequestErrors => "errors" in p;

export interface PreparedCacheOptions {
  /** Most distinct query texts kept (oldest dropped first). Default 1000. */
  maxDocuments?: number;
  /** Longest query text kept; longer ones are prepared for each request. Default 64 KiB. */
  maxQueryLength?: number;
  /** Most bytes the cache may hold, estimated from query text lengths. Default 32 MiB. */
  maxCacheBytes?: number;
  /** Most lexical tokens a document may have (MAX_TOKENS): the parser stops there. */
  maxTokens?: number;
}

export interface PreparedCache {
  /** The operation `operationName` (or the only one) of `query`, or why it cannot run. */
  prepare(query: string, operationName: string | undefined): Prepared;
  readonly size: number;
  readonly bytes: number;
}

/** A cached text: its document (or its request errors) and its operations by requested name. */
interface Entry {
  document: DocumentNode | null;
  errors: readonly GraphQLError[] | undefined;
  introspection: boolean;
  operations: Map<string, Prepared>;
  bytes: number;
}

/**
 * Heap bytes per character of query text that a parsed document costs: measured at about 49 for a
 * query of short aliases (one AST node, location and token objects per few characters), the densest
 * kind; the text itself (the key) is counted on top. Compiled forms are not counted.
 */
const AST_BYTES_PER_CHAR = 50;

export function createPreparedCache(schema: GraphQLSchema, options: PreparedCacheOptions = {}): PreparedCache {
  const maxDocuments = options.maxDocuments ?? 1000;
  const maxQueryLength = options.maxQueryLength ?? 64 * 1024;
  const maxCacheBytes = options.maxCacheBytes ?? 32 * 1024 * 1024;
  const entries = new Map<string, Entry>();
  let bytes = 0;

  function entryFor(query: string): Entry {
    const cached = entries.get(query);
    if (cached) return cached;
    const entry = parseAndValidate(schema, query, options.maxTokens);
    if (query.length > maxQueryLength || entry.bytes > maxCacheBytes) return entry;
    while (entries.size > 0 && (entries.size >= maxDocuments || bytes + entry.bytes > maxCacheBytes)) {
      const oldest = entries.keys().next().value!;
      bytes -= entries.get(oldest)!.bytes;
      entries.delete(oldest);
    }
    entries.set(query, entry);
    bytes += entry.bytes;
    return entry;
  }

  return {
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
    prepare(query, operationName) {
      const entry = entryFor(query);
      if (entry.document === null) return { errors: entry.errors! };
      const key = operationName ?? "";
      let prepared = entry.operations.get(key);
      if (prepared === undefined) {
        prepared = chooseOperation(query, entry, operationName);
        // Bounded like the cache itself: names come from clients.
        if (entry.operations.size >= 16) entry.operations.clear();
        entry.operations.set(key, prepared);
      }
      return prepared;
    },
  };
}

function chooseOperation(query: string, entry: Entry, operationName: string | undefined): Prepared {
  const document = entry.document!;
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    // graphql-js's and Apollo's wording for the two cases.
    const message =
      operationName === undefined
        ? "Must provide operation name if query contains multiple operations."
        : `Unknown operation named "${operationName}".`;
    return { errors: [new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } } })] };
  }
  return {
    query,
    document,
    operation,
    operationName: operation.name?.value ?? operationName,
    introspection: entry.introspection,
    compiled: null,
  };
}

function parseAndValidate(schema: GraphQLSchema, query: string, maxTokens: number | undefined): Entry {
  const textBytes = 2 * query.length + 256;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens });
  } catch (err) {
    const error = err instanceof GraphQLError ? err : new GraphQLError(String(err));
    return {
      document: null,
      errors: [requestError(error, "GRAPHQL_PARSE_FAILED")],
      introspection: false,
      operations: new Map(),
      bytes: textBytes,
    };
  }
  const invalid = validate(schema, document, specifiedRules);
  if (invalid.length > 0) {
    return {
      document: null,
      errors: invalid.map((e) => requestError(e, "GRAPHQL_VALIDATION_FAILED")),
      introspection: false,
      operations: new Map(),
      bytes: textBytes,
    };
  }
  return {
    document,
    errors: undefined,
    introspection: hasIntrospection(document),
    operations: new Map(),
    bytes: textBytes + AST_BYTES_PER_CHAR * query.length,
  };
}

/** Whether the document selects `__schema` or `__type` anywhere. */
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
