import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOperationsByName, type ExampleOperation } from "../../src/explorer/index.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

/**
 * Automatic persisted queries (Apollo's APQ protocol): a client first sends only the sha256 of its
 * query in `extensions.persistedQuery`; on PERSISTED_QUERY_NOT_FOUND it sends the query with the hash,
 * which registers it; from then on the hash alone runs it, over POST or a cacheable GET.
 */
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

let stack: Stack;
let admin: string;
let list: ExampleOperation;
let cancel: ExampleOperation;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 12, seed: 3 } });
  admin = stack.emulator.tokens.admin.token;
  const op = await loadOperationsByName();
  list = op("ListSessions");
  cancel = op("CancelSession");
});
afterAll(() => stack.close());

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(body: Record<string, unknown>, token = admin): Promise<Answer> {
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

async function get(
  params: Record<string, unknown>,
  headers: Record<string, string> = { "apollo-require-preflight": "true" },
): Promise<Answer> {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  const res = await fetch(`${stack.gateway.url}/graphql?${search}`, { headers: { authorization: `Bearer ${admin}`, ...headers } });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

describe("automatic persisted queries", () => {
  it("answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, without calling the controller", async () => {
    stack.emulator.clearCalls();
    const res = await post({ extensions: persisted(sha256(`${list.source}\n# not registered`)), variables: { first: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.errors!.map((e) => e.extensions!.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    expect(res.body.data).toBeUndefined();
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("registers a query sent with its hash, then runs it from the hash alone, over POST and over GET", async () => {
    const hash = sha256(list.source);
    const first = await post({ query: list.source, variables: { first: 3 }, extensions: persisted(hash) });
    expect(first.body.errors).toBeUndefined();
    const ids = first.body.data.sessions.items.map((s: { id: string }) => s.id);
    expect(ids).toHaveLength(3);

    stack.emulator.clearCalls();
    const byHash = await post({ variables: { first: 3 }, extensions: persisted(hash) });
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data.sessions.items.map((s: { id: string }) => s.id)).toEqual(ids);
    // The document is cached, never the answer: the controller is asked again, with the caller's token.
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions$/).map((c) => c.authorization)).toEqual([`Bearer ${admin}`]);

    const overGet = await get({ operationName: "ListSessions", variables: { first: 3 }, extensions: persisted(hash) });
    expect(overGet.status).toBe(200);
    expect(overGet.body.data.sessions.items.map((s: { id: string }) => s.id)).toEqual(ids);
  });

  it("keeps CSRF prevention on for persisted GETs: one with no preflight header is refused", async () => {
    const hash = sha256(list.source);
    await post({ query: list.source, extensions: persisted(hash) });
    const res = await get({ extensions: persisted(hash) }, {});
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.message).toContain("Cross-Site Request Forgery");
  });

  it("runs a persisted mutation over POST only: over GET it is 405 and the session stays as it was", async () => {
    const session = stack.emulator.store.sessions().find((s) => s.status === "active")!;
    const hash = sha256(cancel.source);
    // Registering over GET is refused as a mutation; nothing is cancelled.
    const viaGet = await get({ query: cancel.source, variables: { id: session.id }, extensions: persisted(hash) });
    expect(viaGet.status).toBe(405);
    expect(stack.emulator.store.session(session.id)!.status).toBe("active");

    const registered = await post({
      query: cancel.source,
      variables: { id: session.id, version: session.version },
      extensions: persisted(hash),
    });
    expect(registered.body.data.cancelSession).toMatchObject({ id: session.id, status: "CANCELING" });
    const hashOnlyGet = await get({ variables: { id: session.id }, extensions: persisted(hash) });
    expect(hashOnlyGet.status).toBe(405);
  });

  it("refuses a query whose hash does not match it with 400, and runs nothing", async () => {
    stack.emulator.clearCalls();
    const res = await post({ query: list.source, variables: { first: 1 }, extensions: persisted(sha256("{ __typename }")) });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions!.code).toBe("BAD_REQUEST");
    expect(res.body.errors![0]!.message).toContain("sha does not match");
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("holds a query sent for registration to the same limits as any other, and does not store one they refuse", async () => {
    const heavy = `{ sessions { items { id connections { bytesUp } scope { parent { name } } } } }`;
    const hash = sha256(heavy);
    stack.emulator.clearCalls();
    const registering = await post({ query: heavy, extensions: persisted(hash) });
    expect(registering.status).toBe(400);
    expect(registering.body.errors![0]!.extensions!.code).toBe("QUERY_TOO_COMPLEX");
    const byHash = await post({ extensions: persisted(hash) });
    // Refused before it was stored: the hash stays unknown, so no later request can skip the check.
    expect(byHash.body.errors!.map((e) => e.extensions!.code)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("works with Apollo Client's PersistedQueryLink: hash first, the query once on a miss, hashed GETs after", async () => {
    const sent: { method: string; hasQuery: boolean; hash: string | undefined }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, any>) : undefined;
      const extensions =
        body?.extensions ?? (url.searchParams.has("extensions") ? JSON.parse(url.searchParams.get("extensions")!) : undefined);
      sent.push({
        method: init?.method ?? "GET",
        hasQuery: Boolean(body?.query ?? url.searchParams.get("query")),
        hash: extensions?.persistedQuery?.sha256Hash,
      });
      return fetch(input, init);
    };
    const makeClient = () =>
      new ApolloClient({
        cache: new InMemoryCache(),
        link: ApolloLink.from([
          new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
          // GETs need the preflight header (CSRF prevention); POSTs are JSON anyway.
          new HttpLink({
            uri: `${stack.gateway.url}/graphql`,
            fetch: recordingFetch,
            headers: { authorization: `Bearer ${admin}`, "apollo-require-preflight": "true" },
          }),
        ]),
      });
    const query: TypedDocumentNode<Record<string, any>> = gql(list.source.replace("query ListSessions", "query ListSessionsApq"));

    const one = await makeClient().query({ query, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(one.data!.sessions.items).toHaveLength(2);
    expect(sent).toEqual([
      { method: "GET", hasQuery: false, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { method: "POST", hasQuery: true, hash: sent[0]!.hash },
    ]);

    sent.length = 0;
    const two = await makeClient().query({ query, variables: { first: 2 }, fetchPolicy: "network-only" });
    expect(two.data!.sessions.items).toEqual(one.data!.sessions.items);
    expect(sent).toEqual([{ method: "GET", hasQuery: false, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });
});
