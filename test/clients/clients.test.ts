import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  type TypedDocumentNode,
  type TypePolicies,
} from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { Client as UrqlClient, cacheExchange, fetchExchange } from "@urql/core";
import { parse } from "graphql";
import { ClientError, GraphQLClient } from "graphql-request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOperationsByName } from "../../src/explorer/index.js";
import type { DemoToken } from "../../src/emulator/types.js";
import { startStack, type Stack } from "../helpers/harness.js";

/**
 * Real GraphQL clients against the running gateway, with the operations of `operations/*.graphql`:
 * list, read and cancel, and the typed errors (`extensions.code`) each client surfaces for a session the
 * caller may not read (FORBIDDEN) and one that does not exist (NOT_FOUND).
 */

/**
 * The cache policy docs/clients.md recommends for Apollo Client: pages of one listing (same scope,
 * filter, ...; any `first`/`after`) merge into one list. A page that continues a listing appends; a
 * refresh (`after` = the token of a COMPLETE page) prepends sessions new to the list, keeps the rest in
 * place (changed ones update through their normalized `Session:<id>` entries) and drops `removedIds`.
 */
const typePolicies: TypePolicies = {
  Query: {
    fields: {
      sessions: {
        keyArgs: ["scopeId", "recursive", "filter", "includeTerminated"],
        merge(existing, incoming, { args, readField }) {
          if (!existing || !args?.after) return incoming;
          const id = (ref: unknown) => readField<string>("id", ref as never);
          const removed = new Set(readField<string[]>("removedIds", incoming) ?? []);
          const known = new Set((existing.items as unknown[]).map(id));
          const kept = (existing.items as unknown[]).filter((ref) => !removed.has(id(ref)!));
          const added = (incoming.items as unknown[]).filter((ref) => !known.has(id(ref)));
          const refresh = readField<string>("responseType", existing) === "COMPLETE";
          return { ...incoming, items: refresh ? [...added, ...kept] : [...kept, ...added] };
        },
      },
    },
  },
};

let stack: Stack;
let graphqlUrl: string;
let alice: DemoToken;
let bob: DemoToken;
let admin: string;
let LIST: string;
let READ: string;
let CANCEL: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 30, seed: 11 } });
  graphqlUrl = `${stack.gateway.url}/graphql`;
  [alice, bob] = stack.emulator.tokens.users as [DemoToken, DemoToken];
  admin = stack.emulator.tokens.admin.token;
  // Sessions of their own for alice and bob, whatever the seed dealt them.
  for (const user of [alice, alice, bob]) stack.emulator.store.createSession({ userId: user.userId, status: "active" });
  const op = await loadOperationsByName();
  [LIST, READ, CANCEL] = ["ListSessions", "ReadSession", "CancelSession"].map((n) => op(n).source) as [string, string, string];
});
afterAll(() => stack.close());

/** What each client hands back, reduced to the same shape: its data, and the codes of its GraphQL errors
 * read the way that client exposes them. */
interface Outcome {
  data: Record<string, any> | null | undefined;
  codes: string[];
}

interface ClientUnderTest {
  name: string;
  query(source: string, variables: Record<string, unknown>, token: string): Promise<Outcome>;
  mutate(source: string, variables: Record<string, unknown>, token: string): Promise<Outcome>;
}

type Doc = TypedDocumentNode<Record<string, any>, Record<string, unknown>>;
const documents = new Map<string, Doc>();
const doc = (source: string): Doc => documents.get(source) ?? documents.set(source, parse(source) as Doc).get(source)!;

/** The set-up docs/clients.md shows: the token read per operation by a SetContextLink. */
function makeApolloClient(getToken: () => string): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([
      new SetContextLink((prev) => ({ headers: { ...prev.headers, authorization: `Bearer ${getToken()}` } })),
      new HttpLink({ uri: graphqlUrl }),
    ]),
    cache: new InMemoryCache({ typePolicies }),
  });
}

function apolloClient(): ClientUnderTest {
  let token = "";
  const client = makeApolloClient(() => token);
  const codes = (error: unknown) =>
    CombinedGraphQLErrors.is(error)
      ? error.errors.map((e) => String(e.extensions?.code))
      : error
        ? [`not a GraphQL error: ${String(error)}`]
        : [];
  return {
    name: "@apollo/client",
    async query(source, variables, as) {
      token = as;
      const res = await client.query({ query: doc(source), variables, fetchPolicy: "network-only", errorPolicy: "all" });
      return { data: res.data, codes: codes(res.error) };
    },
    async mutate(source, variables, as) {
      token = as;
      const res = await client.mutate({ mutation: doc(source), variables, errorPolicy: "all" });
      return { data: res.data, codes: codes(res.error) };
    },
  };
}

function urqlClient(): ClientUnderTest {
  let token = "";
  // The set-up docs/clients.md shows.
  const client = new UrqlClient({
    url: graphqlUrl,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => ({
      // urql sends queries as GET by default; Apollo's CSRF prevention wants this header on a GET.
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
    }),
  });
  const run = async (kind: "query" | "mutation", source: string, variables: Record<string, unknown>, as: string) => {
    token = as;
    const context = { requestPolicy: "network-only" as const };
    const res = await (
      kind === "query" ? client.query(doc(source), variables, context) : client.mutation(doc(source), variables, context)
    ).toPromise();
    if (res.error?.networkError) throw res.error.networkError;
    return { data: res.data, codes: (res.error?.graphQLErrors ?? []).map((e) => String(e.extensions?.code)) };
  };
  return { name: "@urql/core", query: (s, v, t) => run("query", s, v, t), mutate: (s, v, t) => run("mutation", s, v, t) };
}

function graphqlRequestClient(): ClientUnderTest {
  const client = new GraphQLClient(graphqlUrl);
  const run = async (source: string, variables: Record<string, unknown>, token: string): Promise<Outcome> => {
    try {
      const data = await client.request<Record<string, any>>({
        document: source,
        variables,
        requestHeaders: { authorization: `Bearer ${token}` },
      });
      return { data, codes: [] };
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      return { data: err.response.data as Outcome["data"], codes: (err.response.errors ?? []).map((e) => String(e.extensions?.code)) };
    }
  };
  return { name: "graphql-request", query: run, mutate: run };
}

const clients: [string, () => ClientUnderTest][] = [
  ["@apollo/client", apolloClient],
  ["@urql/core", urqlClient],
  ["graphql-request", graphqlRequestClient],
];

describe.each(clients)("%s", (_name, make) => {
  let client: ClientUnderTest;
  beforeAll(() => {
    client = make();
  });

  it("lists the caller's own sessions (ListSessions)", async () => {
    const res = await client.query(LIST, { first: 5 }, alice.token);
    expect(res.codes).toEqual([]);
    const page = res.data!.sessions;
    expect(page.items.length).toBeGreaterThan(0);
    expect(new Set(page.items.map((s: { userId: string }) => s.userId))).toEqual(new Set([alice.userId]));
    const own = stack.emulator.store.sessions().filter((s) => s.user_id === alice.userId && s.status !== "terminated");
    expect(page.items.map((s: { id: string }) => s.id)).toEqual(own.slice(0, 5).map((s) => s.id));
  });

  it("reads one of them (ReadSession)", async () => {
    const mine = stack.emulator.store.sessions().find((s) => s.user_id === alice.userId)!;
    const res = await client.query(READ, { id: mine.id }, alice.token);
    expect(res.codes).toEqual([]);
    expect(res.data!.session).toMatchObject({
      id: mine.id,
      status: mine.status!.toUpperCase(),
      version: mine.version,
      userId: alice.userId,
    });
    expect(res.data!.session.states).toHaveLength(mine.states!.length);
  });

  it("cancels one (CancelSession): CANCELING, version + 1", async () => {
    const id = stack.emulator.store.createSession({ userId: alice.userId, status: "active" });
    const version = stack.emulator.store.session(id)!.version!;
    const res = await client.mutate(CANCEL, { id, version }, alice.token);
    expect(res.codes).toEqual([]);
    expect(res.data!.cancelSession).toMatchObject({ id, status: "CANCELING", version: version + 1 });
    expect(stack.emulator.store.session(id)!.status).toBe("canceling");
  });

  it("sees FORBIDDEN for another user's session, on read and on cancel, and leaves it as it was", async () => {
    const theirs = stack.emulator.store.sessions().find((s) => s.user_id === bob.userId && s.status === "active")!;
    const read = await client.query(READ, { id: theirs.id }, alice.token);
    expect(read.codes).toEqual(["FORBIDDEN"]);
    expect(read.data?.session ?? null).toBeNull();
    const cancel = await client.mutate(CANCEL, { id: theirs.id, version: theirs.version }, alice.token);
    expect(cancel.codes).toEqual(["FORBIDDEN"]);
    expect(stack.emulator.store.session(theirs.id)!.status).toBe("active");
  });

  it("sees NOT_FOUND for a session that does not exist", async () => {
    const read = await client.query(READ, { id: "s_1234567890" }, admin);
    expect(read.codes).toEqual(["NOT_FOUND"]);
    expect(read.data?.session ?? null).toBeNull();
    const cancel = await client.mutate(CANCEL, { id: "s_1234567890" }, admin);
    expect(cancel.codes).toEqual(["NOT_FOUND"]);
  });
});

describe("@apollo/client's SessionPage merge policy", () => {
  it("merges the pages of a listing into one list, in order, without duplicates", async () => {
    const client = makeApolloClient(() => admin);
    const query = doc(LIST);
    const watched = client.watchQuery({ query, variables: { first: 4 } });
    const subscription = watched.subscribe(() => {});
    try {
      let result = await watched.refetch();
      let pages = 1;
      while (result.data!.sessions.hasNextPage) {
        result = await watched.fetchMore({ variables: { after: result.data!.sessions.listToken } });
        pages++;
      }
      const merged = client.readQuery({ query, variables: { first: 4 } })!.sessions;
      const all = stack.emulator.store.sessions().filter((s) => s.status !== "terminated");
      expect(pages).toBe(Math.ceil(all.length / 4));
      expect(merged.items.map((s: { id: string }) => s.id)).toEqual(all.map((s) => s.id));
      expect(merged).toMatchObject({ hasNextPage: false, responseType: "COMPLETE" });

      // A refresh from the complete page: a new session comes first, a deleted one goes, a cancelled
      // one changes in place.
      const created = stack.emulator.store.createSession({ status: "active" });
      const gone = all[1]!.id;
      const changed = all.find((s) => s.status === "active" && s.id !== gone)!.id;
      stack.emulator.store.deleteSession(gone);
      stack.emulator.store.setStatus(changed, "canceling");
      let refreshed = await watched.fetchMore({ variables: { after: merged.listToken } });
      while (refreshed.data!.sessions.hasNextPage)
        refreshed = await watched.fetchMore({ variables: { after: refreshed.data!.sessions.listToken } });
      const after = client.readQuery({ query, variables: { first: 4 } })!.sessions;
      const ids = after.items.map((s: { id: string }) => s.id);
      expect(ids).toEqual([created, ...all.map((s) => s.id).filter((id) => id !== gone)]);
      expect(after.items.find((s: { id: string }) => s.id === changed).status).toBe("CANCELING");
    } finally {
      subscription.unsubscribe();
      client.stop();
    }
  });
});

describe("client set-up traps", () => {
  it("a urql client left to its defaults (queries as GET, no preflight header) is refused by CSRF prevention", async () => {
    const client = new UrqlClient({
      url: graphqlUrl,
      exchanges: [fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${admin}` } },
    });
    const res = await client.query(doc(LIST), { first: 1 }).toPromise();
    expect(res.data).toBeUndefined();
    expect(res.error?.response?.status).toBe(400);
    expect(res.error?.message).toContain("Cross-Site Request Forgery");
  });

  it("Apollo Client's default (POST with a JSON body) needs nothing more", async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: graphqlUrl, headers: { authorization: `Bearer ${admin}` } }),
      cache: new InMemoryCache({ typePolicies }),
    });
    const res = await client.query({ query: doc(LIST), variables: { first: 1 } });
    expect(res.data!.sessions.items).toHaveLength(1);
    client.stop();
  });
});
