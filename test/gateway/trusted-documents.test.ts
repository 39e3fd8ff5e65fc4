import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryManifest, type PersistedQueryManifest } from "@apollo/generate-persisted-query-manifest";
import { createClient as createSseClient } from "graphql-sse";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { loadConfig } from "../../src/config.js";
import { loadOperationsByName } from "../../src/explorer/index.js";
import { startGateway } from "../../src/server.js";
import { startStack, type Stack } from "../helpers/harness.js";

/**
 * Trusted documents (PERSISTED_DOCUMENTS): a manifest made as `npm run manifest` makes it, from
 * operations/*.graphql (plus one subscription); its ids run on every transport, and in enforce mode
 * nothing else does, before any upstream call.
 */
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const WATCH = "subscription WatchSessions {\n  sessionsChanged(recursive: true) {\n    items {\n      id\n      status\n    }\n  }\n}\n";
const NOT_LISTED = "{ sessions(first: 2) { items { id } } }";

let dir: string;
let manifestPath: string;
let manifest: PersistedQueryManifest;
const byName = (name: string) => manifest.operations.find((o) => o.name === name)!;

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function send(stack: Stack, init: { body?: unknown; search?: string }, token: string): Promise<Answer> {
  const res = await fetch(`${stack.gateway.url}/graphql${init.search ?? ""}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

async function metric(stack: Stack, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`graphql_unlisted_documents_total{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "trusted-"));
  await writeFile(join(dir, "WatchSessions.graphql"), WATCH);
  // The configuration `npm run manifest` reads, with one more document (operations/ has no subscription).
  const config = JSON.parse(await readFile("persisted-query-manifest.config.json", "utf8")) as { documents: string[] };
  manifest = await generatePersistedQueryManifest({ ...config, documents: [...config.documents, join(dir, "*.graphql")] }, undefined);
  manifestPath = join(dir, "manifest.json");
  await writeFile(manifestPath, JSON.stringify(manifest));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the manifest", () => {
  it("committed persisted-documents.json is what npm run manifest generates from operations/", async () => {
    const config = JSON.parse(await readFile("persisted-query-manifest.config.json", "utf8"));
    const generated = await generatePersistedQueryManifest(config, "persisted-query-manifest.config.json");
    expect(JSON.parse(await readFile("persisted-documents.json", "utf8"))).toEqual(generated);
    const names = generated.operations.map((o) => o.name).sort();
    const examples = await loadOperationsByName();
    for (const name of names) expect(examples(name).name).toBe(name);
    expect(names).toEqual(["CancelSession", "ListSessions", "ReadSession", "SessionNeighbours"]);
  });

  it("refuses to start on a manifest whose id is not the sha256 of its body, naming the file", async () => {
    const bad = join(dir, "bad.json");
    const op = byName("ListSessions");
    await writeFile(bad, JSON.stringify({ ...manifest, operations: [{ ...op, id: sha256("other") }] }));
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      PERSISTED_DOCUMENTS: bad,
      BOUNDARY_ADDR: "http://127.0.0.1:9",
    });
    await expect(startGateway(config)).rejects.toThrow(
      /PERSISTED_DOCUMENTS: .*bad\.json .*operations\[0\]\.id is not the sha256 of its body/,
    );
    await writeFile(bad, "{}");
    await expect(startGateway({ ...config, persistedDocuments: bad })).rejects.toThrow(
      /"format" must be "apollo-persisted-query-manifest"/,
    );
  });
});

describe("PERSISTED_DOCUMENTS_MODE=enforce", () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { sessions: 6, seed: 5 },
      env: { PERSISTED_DOCUMENTS: manifestPath, PERSISTED_DOCUMENTS_MODE: "enforce" },
    });
    admin = stack.emulator.tokens.admin.token;
  });
  afterAll(() => stack?.close());

  it("runs manifest operations from Apollo Client 4 with its persisted-queries link (hash only), by POST and by GET", async () => {
    for (const useGETForHashedQueries of [false, true]) {
      const sent: { hasQuery: boolean; method: string }[] = [];
      const client = new ApolloClient({
        cache: new InMemoryCache(),
        link: ApolloLink.from([
          new PersistedQueryLink({ sha256, useGETForHashedQueries }),
          new HttpLink({
            uri: `${stack.gateway.url}/graphql`,
            headers: { authorization: `Bearer ${admin}`, "apollo-require-preflight": "true" },
            fetch: async (input, init) => {
              const url = new URL(String(input));
              sent.push({
                method: init?.method ?? "GET",
                hasQuery: url.searchParams.has("query") || String(init?.body ?? "").includes('"query"'),
              });
              return fetch(input, init);
            },
          }),
        ]),
      });
      const list = (await loadOperationsByName())("ListSessions");
      const result = await client.query({ query: gql(list.source), variables: { first: 3 } });
      expect((result.data as any).sessions.items).toHaveLength(3);
      // The hash alone ran it: Apollo's APQ cache never saw this document, the manifest had it.
      expect(sent).toEqual([{ method: useGETForHashedQueries ? "GET" : "POST", hasQuery: false }]);
    }
  });

  it("runs a manifest document named by documentId, in a POST body and in a GET query string", async () => {
    const id = byName("ListSessions").id;
    const post = await send(stack, { body: { documentId: id, variables: { first: 2 } } }, admin);
    expect(post.status).toBe(200);
    expect(post.body.data.sessions.items).toHaveLength(2);
    const get = await send(stack, { search: `?documentId=${id}&variables=${encodeURIComponent('{"first":1}')}` }, admin);
    expect(get.status).toBe(200);
    expect(get.body.data.sessions.items).toHaveLength(1);
  });

  it("runs the text of a manifest document as generated, and with other whitespace and comments", async () => {
    const body = byName("ListSessions").body;
    expect((await send(stack, { body: { query: body, variables: { first: 1 } } }, admin)).status).toBe(200);
    const spaced = `# a comment\n${body.replace(/\n\s*/g, " ")}`;
    expect((await send(stack, { body: { query: spaced, variables: { first: 1 } } }, admin)).body.data.sessions.items).toHaveLength(1);
  });

  it("refuses an unknown id with PERSISTED_QUERY_NOT_IN_LIST (400), by hash, documentId or APQ registration, calling nothing", async () => {
    stack.emulator.clearCalls();
    const hash = sha256(NOT_LISTED);
    for (const body of [{ extensions: persisted(hash) }, { documentId: hash }, { query: NOT_LISTED, extensions: persisted(hash) }]) {
      const answer = await send(stack, { body }, admin);
      expect(answer.status).toBe(400);
      expect(answer.body.errors!.map((e) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_IN_LIST"]);
      expect(answer.body.data).toBeUndefined();
    }
    // Registration was refused too: the hash alone still does not run.
    expect((await send(stack, { body: { extensions: persisted(hash) } }, admin)).body.errors![0]!.extensions?.code).toBe(
      "PERSISTED_QUERY_NOT_IN_LIST",
    );
    expect(stack.emulator.calls).toHaveLength(0);
    expect(await metric(stack, 'code="PERSISTED_QUERY_NOT_IN_LIST",mode="enforce"')).toBe(4);
  });

  it("refuses free text not in the manifest with QUERY_NOT_IN_SAFELIST (400) by POST and GET, calling nothing", async () => {
    stack.emulator.clearCalls();
    const post = await send(stack, { body: { query: NOT_LISTED } }, admin);
    const get = await send(stack, { search: `?query=${encodeURIComponent(NOT_LISTED)}` }, admin);
    for (const answer of [post, get]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors!.map((e) => e.extensions?.code)).toEqual(["QUERY_NOT_IN_SAFELIST"]);
    }
    // A manifest document with a field dropped is another document.
    const edited = byName("ListSessions").body.replace("      userId\n", "");
    expect((await send(stack, { body: { query: edited, variables: { first: 1 } } }, admin)).body.errors![0]!.extensions?.code).toBe(
      "QUERY_NOT_IN_SAFELIST",
    );
    expect(stack.emulator.calls).toHaveLength(0);
  });

  /** The first result of a subscription, over either client (graphql-ws and graphql-sse share the shape). */
  function firstResult(
    client: {
      subscribe(
        payload: { query: string; extensions?: Record<string, unknown> },
        sink: { next(v: unknown): void; error(e: unknown): void; complete(): void },
      ): () => void;
    },
    payload: { query: string; extensions?: Record<string, unknown> },
  ): Promise<any> {
    return new Promise((resolve, reject) => {
      const dispose = client.subscribe(payload, {
        next: (value) => {
          dispose();
          resolve(value);
        },
        error: reject,
        complete: () => {},
      });
    });
  }

  it("runs a WebSocket subscription named by its id, and refuses one sent as text not in the manifest", async () => {
    const client: Client = createClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin}` },
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const first = await firstResult(client, { query: "", extensions: persisted(byName("WatchSessions").id) });
      expect(first.errors).toBeUndefined();
      expect(first.data.sessionsChanged.items.length).toBeGreaterThan(0);
      stack.emulator.clearCalls();
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: WATCH.replace("status", "userId") },
          { next: () => {}, error: resolve, complete: () => resolve("completed") },
        );
      });
      expect((refused as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(["QUERY_NOT_IN_SAFELIST"]);
      expect(stack.emulator.calls).toHaveLength(0);
    } finally {
      await client.dispose();
    }
  });

  it("runs an SSE subscription named by its id, and refuses one sent as text not in the manifest", async () => {
    const client = createSseClient({
      url: `${stack.gateway.url}/graphql/stream`,
      retryAttempts: 0,
      headers: { authorization: `Bearer ${admin}` },
    });
    try {
      const first = await firstResult(client, { query: "", extensions: persisted(byName("WatchSessions").id) });
      expect(first.errors).toBeUndefined();
      expect(first.data.sessionsChanged.items.length).toBeGreaterThan(0);
      stack.emulator.clearCalls();
      const refused = await new Promise<any>((resolve) => {
        const seen: unknown[] = [];
        client.subscribe(
          { query: WATCH.replace("status", "userId") },
          { next: (value) => seen.push(value), error: (err) => resolve({ err, seen }), complete: () => resolve({ seen }) },
        );
      });
      const codes = [
        ...(Array.isArray(refused.err) ? refused.err : []),
        ...refused.seen.flatMap((r: { errors?: unknown[] }) => r.errors ?? []),
      ].map((e: { extensions?: { code?: string } }) => e.extensions?.code);
      expect(codes).toEqual(["QUERY_NOT_IN_SAFELIST"]);
      expect(stack.emulator.calls).toHaveLength(0);
    } finally {
      client.dispose();
    }
  });

  it("surfaces the refusal to Apollo Client as a GraphQL error with the code", async () => {
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: new HttpLink({ uri: `${stack.gateway.url}/graphql`, headers: { authorization: `Bearer ${admin}` } }),
    });
    const error = await client.query({ query: gql(NOT_LISTED) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(CombinedGraphQLErrors.is(error) ? error.errors.map((e) => e.extensions?.code) : error).toEqual(["QUERY_NOT_IN_SAFELIST"]);
  });
});

describe("PERSISTED_DOCUMENTS_MODE=log (the default with a manifest)", () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 6, seed: 5 }, env: { PERSISTED_DOCUMENTS: manifestPath } });
    admin = stack.emulator.tokens.admin.token;
  });
  afterAll(() => stack?.close());

  it("runs what enforce would refuse, and counts it by code", async () => {
    const free = await send(stack, { body: { query: NOT_LISTED } }, admin);
    expect(free.status).toBe(200);
    expect(free.body.data.sessions.items).toHaveLength(2);
    // APQ as before for hashes the manifest does not hold: registered with the text, then the hash alone runs.
    const hash = sha256(NOT_LISTED);
    expect((await send(stack, { body: { query: NOT_LISTED, extensions: persisted(hash) } }, admin)).status).toBe(200);
    expect((await send(stack, { body: { extensions: persisted(hash) } }, admin)).body.data.sessions.items).toHaveLength(2);
    const listed = await send(stack, { body: { documentId: byName("ListSessions").id, variables: { first: 1 } } }, admin);
    expect(listed.body.data.sessions.items).toHaveLength(1);
    expect(await metric(stack, 'code="QUERY_NOT_IN_SAFELIST",mode="log"')).toBe(1);
    expect(await metric(stack, 'code="PERSISTED_QUERY_NOT_IN_LIST",mode="log"')).toBe(2);
  });
});

describe("PERSISTED_DOCUMENTS unset", () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 6, seed: 5 } });
    admin = stack.emulator.tokens.admin.token;
  });
  afterAll(() => stack?.close());

  it("runs free text, knows no manifest id (APQ answers PERSISTED_QUERY_NOT_FOUND) and counts nothing", async () => {
    expect((await send(stack, { body: { query: NOT_LISTED } }, admin)).status).toBe(200);
    const byHash = await send(stack, { body: { extensions: persisted(byName("ListSessions").id) } }, admin);
    expect(byHash.body.errors!.map((e) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    expect(await (await fetch(`${stack.gateway.url}/metrics`)).text()).not.toContain("graphql_unlisted_documents_total");
  });
});
