/**
 * Trusted documents: a manifest of the operations the gateway's clients send, in Apollo's persisted query
 * manifest format (https://www.apollographql.com/docs/graphos/platform/security/persisted-queries), as
 * `npm run manifest` writes it with @apollo/generate-persisted-query-manifest. Every transport asks this
 * one resolver what text a request stands for before it prepares anything, so an id resolves the same
 * way over POST (fast path or Apollo), GET, WebSocket and SSE, and a refusal costs no upstream call.
 *
 * A request names a document by `extensions.persistedQuery.sha256Hash` (Apollo Client's persisted-queries
 * link, with or without the text) or by a top-level `documentId`, or sends its text. In `enforce` mode an
 * unknown id is `PERSISTED_QUERY_NOT_IN_LIST` and text outside the manifest `QUERY_NOT_IN_SAFELIST`
 * (Apollo Router's codes), both HTTP 400; in `log` mode both run and are logged and counted. Text matches
 * when its sha256 is a manifest id, or when it equals a manifest body once whitespace, commas and comments
 * are dropped (graphql-js `stripIgnoredCharacters`); anything else (field order, aliases, `__typename`)
 * must be as generated. A manifest id known here never reaches Apollo's APQ cache: the request is handed
 * on as plain text, so registering a hash through APQ cannot make a document runnable in `enforce` mode.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { GraphQLError, stripIgnoredCharacters } from "graphql";
import { Counter, type Registry } from "prom-client";
import { GatewayErrorCode } from "../graphql/errors.js";

export type PersistedDocumentsMode = "enforce" | "log";

export interface ManifestOperation {
  readonly id: string;
  readonly name: string;
  readonly type: "query" | "mutation" | "subscription";
  readonly body: string;
}

/** The manifest's operations by id. */
export type PersistedDocuments = ReadonlyMap<string, ManifestOperation>;

/** Reads and checks a manifest; the error names the file and what is wrong with it. */
export async function loadPersistedDocuments(path: string): Promise<PersistedDocuments> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`PERSISTED_DOCUMENTS: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`PERSISTED_DOCUMENTS: ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseManifest(json, path);
}

export function parseManifest(json: unknown, source: string): PersistedDocuments {
  const fail = (what: string): never => {
    throw new Error(`PERSISTED_DOCUMENTS: ${source} is not an Apollo persisted query manifest: ${what}`);
  };
  const m = json as { format?: unknown; version?: unknown; operations?: unknown } | null;
  if (typeof m !== "object" || m === null || Array.isArray(m)) fail("not a JSON object");
  if (m!.format !== "apollo-persisted-query-manifest") fail(`"format" must be "apollo-persisted-query-manifest"`);
  if (m!.version !== 1) fail(`"version" must be 1`);
  if (!Array.isArray(m!.operations)) fail(`"operations" must be an array`);
  const byId = new Map<string, ManifestOperation>();
  (m!.operations as unknown[]).forEach((raw, i) => {
    const op = raw as Partial<Record<keyof ManifestOperation, unknown>> | null;
    const at = `operations[${i}]`;
    if (typeof op !== "object" || op === null) return fail(`${at} is not an object`);
    if (typeof op.id !== "string" || !/^[0-9a-f]{64}$/.test(op.id)) return fail(`${at}.id must be a sha256 in lower-case hex`);
    if (typeof op.name !== "string") return fail(`${at}.name must be a string`);
    if (op.type !== "query" && op.type !== "mutation" && op.type !== "subscription")
      return fail(`${at}.type must be query, mutation or subscription`);
    if (typeof op.body !== "string" || op.body === "") return fail(`${at}.body must be a non-empty string`);
    // Apollo Client sends sha256(body) as the id: another id would never match what a client sends.
    if (sha256(op.body) !== op.id) return fail(`${at}.id is not the sha256 of its body (${op.name})`);
    byId.set(op.id, { id: op.id, name: op.name, type: op.type, body: op.body });
  });
  return byId;
}

/** What a request says about its document, whatever carried it. */
export interface DocumentRequest {
  readonly query?: unknown;
  readonly documentId?: unknown;
  readonly extensions?: unknown;
}

export type DocumentResolution =
  /** Run this: `query` is the text (the manifest's for a known id); `extensions` without a known id's `persistedQuery`. */
  | { readonly kind: "run"; readonly query: unknown; readonly extensions: unknown; readonly resolved: boolean }
  | { readonly kind: "refuse"; readonly error: GraphQLError };

export interface DocumentResolver {
  readonly mode: PersistedDocumentsMode;
  resolve(request: DocumentRequest): DocumentResolution;
}

export interface DocumentResolverOptions {
  documents: PersistedDocuments;
  mode: PersistedDocumentsMode;
  logger: { warn(obj: Record<string, unknown>, msg: string): void };
  metrics?: Registry;
}

const PERSISTED_QUERY_NOT_IN_LIST = GatewayErrorCode.PERSISTED_QUERY_NOT_IN_LIST;
const QUERY_NOT_IN_SAFELIST = GatewayErrorCode.QUERY_NOT_IN_SAFELIST;

export function createDocumentResolver(options: DocumentResolverOptions): DocumentResolver {
  const { documents, mode, logger } = options;
  const stripped = new Set<string>();
  for (const op of documents.values()) stripped.add(stripIgnoredCharacters(op.body));
  const unlisted = options.metrics
    ? new Counter({
        name: "graphql_unlisted_documents_total",
        help: "Requests whose document is not in the trusted-document manifest (PERSISTED_DOCUMENTS), by code and mode (refused in enforce, run in log).",
        labelNames: ["code", "mode"] as const,
        registers: [options.metrics],
      })
    : undefined;

  const inList = (query: string): boolean => {
    if (documents.has(sha256(query))) return true;
    try {
      return stripped.has(stripIgnoredCharacters(query));
    } catch {
      return false; // Not even GraphQL: not in the list (and the parser will say why when it runs).
    }
  };

  const unlistedAnswer = (
    code: typeof PERSISTED_QUERY_NOT_IN_LIST | typeof QUERY_NOT_IN_SAFELIST,
    detail: Record<string, unknown>,
    run: DocumentResolution,
  ): DocumentResolution => {
    unlisted?.inc({ code, mode });
    // Only the id or the hash of the text: never variables or headers (tokens).
    logger.warn(
      { code, mode, ...detail },
      mode === "enforce" ? "refused a document not in the manifest" : "ran a document not in the manifest",
    );
    if (mode === "log") return run;
    const message =
      code === PERSISTED_QUERY_NOT_IN_LIST
        ? "This persisted document id is not in the gateway's manifest."
        : "This document is not in the gateway's manifest: only trusted documents run here.";
    return { kind: "refuse", error: new GraphQLError(message, { extensions: { code, http: { status: 400 } } }) };
  };

  return {
    mode,
    resolve(request) {
      const extensions = request.extensions;
      const persisted = isObject(extensions) && isObject(extensions.persistedQuery) ? extensions.persistedQuery : undefined;
      const id =
        typeof request.documentId === "string"
          ? request.documentId
          : typeof persisted?.sha256Hash === "string"
            ? persisted.sha256Hash
            : undefined;
      const asSent: DocumentResolution = { kind: "run", query: request.query, extensions, resolved: false };
      if (id !== undefined) {
        const op = documents.get(id);
        if (op) {
          let rest: unknown = extensions;
          if (persisted) {
            const { persistedQuery: _known, ...others } = extensions as Record<string, unknown>;
            rest = Object.keys(others).length > 0 ? others : undefined;
          }
          return { kind: "run", query: op.body, extensions: rest, resolved: true };
        }
        return unlistedAnswer(PERSISTED_QUERY_NOT_IN_LIST, { documentId: id.slice(0, 80) }, asSent);
      }
      if (typeof request.query !== "string" || request.query === "") return asSent;
      if (inList(request.query)) return asSent;
      return unlistedAnswer(QUERY_NOT_IN_SAFELIST, { querySha256: sha256(request.query) }, asSent);
    },
  };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The resolver over an HTTP request as Apollo reads it: a JSON body (one operation or a batch) or a GET
 * query string (`query`, `extensions` as JSON, `documentId`). Returns what to hand on, or the refusal.
 */
export function resolveHttpDocuments(
  resolver: DocumentResolver,
  method: string | undefined,
  search: string,
  body: unknown,
): { search: string; body: unknown } | { error: GraphQLError } {
  if (method === "GET") {
    const params = new URLSearchParams(search);
    let extensions: unknown;
    const rawExtensions = params.get("extensions");
    if (rawExtensions !== null) {
      try {
        extensions = JSON.parse(rawExtensions);
      } catch {
        extensions = undefined; // Apollo answers a malformed `extensions` itself.
      }
    }
    const answer = resolver.resolve({
      query: params.get("query") ?? undefined,
      documentId: params.get("documentId") ?? undefined,
      extensions,
    });
    if (answer.kind === "refuse") return { error: answer.error };
    if (!answer.resolved) return { search, body };
    params.delete("documentId");
    params.set("query", answer.query as string);
    if (answer.extensions === undefined) params.delete("extensions");
    else params.set("extensions", JSON.stringify(answer.extensions));
    return { search: `?${params.toString()}`, body };
  }
  const one = (item: unknown): unknown => {
    if (!isObject(item)) return item;
    const answer = resolver.resolve(item);
    if (answer.kind === "refuse") throw answer.error;
    if (!answer.resolved) return item;
    const { documentId: _id, ...rest } = item;
    const next: Record<string, unknown> = { ...rest, query: answer.query };
    if (answer.extensions === undefined) delete next.extensions;
    else next.extensions = answer.extensions;
    return next;
  };
  try {
    return { search, body: Array.isArray(body) ? body.map(one) : one(body) };
  } catch (err) {
    if (err instanceof GraphQLError) return { error: err };
    throw err;
  }
}
