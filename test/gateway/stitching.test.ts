/**
 * The stitching recipe of docs/graph.md, run for real: the gateway over HTTP (an executor against
 * /graphql) stitched with a small "tickets" schema, Session and User merged across both through
 * `nodes(ids)` on the gateway's side.
 */
import { buildHTTPExecutor } from "@graphql-tools/executor-http";
import { stitchSchemas } from "@graphql-tools/stitch";
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  graphql,
  parse,
  print,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;
let stitched: GraphQLSchema;
/** The operations the stitched schema sent to the gateway. */
const sent: string[] = [];
let ticketed: WireSession[];

interface Ticket {
  id: string;
  title: string;
  sessionId: string;
}
let tickets: Ticket[];

/** A schema from SDL with resolvers attached (what @graphql-tools/schema's makeExecutableSchema does). */
function executable(sdl: string, resolvers: Record<string, Record<string, GraphQLFieldResolver<any, unknown>>>): GraphQLSchema {
  const schema = buildSchema(sdl);
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const [name, resolve] of Object.entries(fields)) type.getFields()[name]!.resolve = resolve;
  }
  return schema;
}

interface StitchContext {
  authorization: string;
}

/** Run an operation on the stitched schema as the holder of `token`. */
function run(source: string, token = admin) {
  const contextValue: StitchContext = { authorization: `Bearer ${token}` };
  return graphql({ schema: stitched, source, contextValue });
}

const TICKETS_SDL = /* GraphQL */ `
  type Query {
    tickets: [Ticket!]!
    _sessionsById(ids: [ID!]!): [Session]!
    _usersById(ids: [ID!]!): [User]!
  }
  type Ticket {
    id: ID!
    title: String!
    session: Session
  }
  type Session {
    id: ID!
    tickets: [Ticket!]!
  }
  type User {
    id: ID!
    openTickets: Int!
  }
`;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 30, seed: 21 } });
  admin = stack.emulator.tokens.admin.token;
  ticketed = stack.emulator.store.sessions().slice(0, 3);
  tickets = [
    { id: "T-1", title: "db migration", sessionId: ticketed[0]!.id },
    { id: "T-2", title: "disk full", sessionId: ticketed[1]!.id },
    { id: "T-3", title: "rotate keys", sessionId: ticketed[2]!.id },
    { id: "T-4", title: "follow-up", sessionId: ticketed[0]!.id },
  ];
  const userOf = new Map(stack.emulator.store.sessions().map((s) => [s.id, s.user_id]));

  // Each stitched operation forwards its caller's own token (from the stitched schema's context), so the
  // gateway answers with exactly what that caller may see.
  const http = buildHTTPExecutor({
    endpoint: `${stack.gateway.url}/graphql`,
    headers: (request) => ({ authorization: (request?.context as StitchContext | undefined)?.authorization ?? "" }),
  });
  const executor: typeof http = ((request: Parameters<typeof http>[0]) => {
    sent.push(print(request.document));
    return http(request);
  }) as typeof http;
  const introspection = (await http({ document: parse(getIntrospectionQuery()), context: { authorization: `Bearer ${admin}` } })) as {
    data: IntrospectionQuery;
  };
  const boundary = buildClientSchema(introspection.data);

  const ticketSchema = executable(TICKETS_SDL, {
    Query: {
      tickets: () => tickets,
      _sessionsById: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })),
      _usersById: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })),
    },
    Ticket: { session: (t: Ticket) => ({ id: t.sessionId }) },
    Session: { tickets: (s: { id: string }) => tickets.filter((t) => t.sessionId === s.id) },
    User: { openTickets: (u: { id: string }) => tickets.filter((t) => userOf.get(t.sessionId) === u.id).length },
  });

  const byNodes = {
    selectionSet: "{ id }",
    fieldName: "nodes",
    key: ({ id }: { id: string }) => id,
    argsFromKeys: (ids: readonly string[]) => ({ ids }),
  };
  stitched = stitchSchemas({
    subschemas: [
      { schema: boundary, executor, merge: { Session: byNodes, User: byNodes } },
      {
        schema: ticketSchema,
        merge: {
          Session: {
            selectionSet: "{ id }",
            fieldName: "_sessionsById",
            key: ({ id }: { id: string }) => id,
            argsFromKeys: (ids: readonly string[]) => ({ ids }),
          },
          User: {
            selectionSet: "{ id }",
            fieldName: "_usersById",
            key: ({ id }: { id: string }) => id,
            argsFromKeys: (ids: readonly string[]) => ({ ids }),
          },
        },
      },
    ],
  });
});
afterAll(() => stack.close());

describe("schema stitching with the running gateway", () => {
  it("crosses from the other schema into the gateway's sessions and back, merging through nodes(ids)", async () => {
    sent.length = 0;
    stack.emulator.clearCalls();
    const result = await run(`{ tickets { id title session { id status scope { name } user { id loginName openTickets } } } }`);
    expect(result.errors).toBeUndefined();
    const data = result.data as {
      tickets: {
        id: string;
        session: { id: string; status: string; scope: { name: string }; user: { id: string; loginName: string; openTickets: number } };
      }[];
    };
    expect(data.tickets).toHaveLength(4);
    for (const t of data.tickets) {
      const wire = stack.emulator.store.session(t.session.id)!;
      expect(t.session.status).toBe(wire.status!.toUpperCase());
      expect(t.session.scope.name).toBe(wire.scope!.name);
      expect(t.session.user.id).toBe(wire.user_id);
      expect(t.session.user.openTickets).toBe(
        tickets.filter((x) => stack.emulator.store.session(x.sessionId)!.user_id === wire.user_id).length,
      );
    }
    // The three distinct sessions came from the gateway in one batched `nodes` call, each read once.
    const nodeOps = sent.filter((op) => op.includes("nodes("));
    expect(nodeOps).toHaveLength(1);
    const sessionReads = stack.emulator.calls.filter((c) => c.path.startsWith("/v1/sessions/")).map((c) => c.path);
    expect(sessionReads.sort()).toEqual(ticketed.map((s) => `/v1/sessions/${s.id}`).sort());
  });

  it("crosses from the gateway's listing into the other schema", async () => {
    const result = await run(`{ sessions(first: 10) { items { id status tickets { id title } } } }`);
    expect(result.errors).toBeUndefined();
    const items = (result.data as { sessions: { items: { id: string; tickets: { id: string }[] }[] } }).sessions.items;
    expect(items).toHaveLength(10);
    for (const s of items) expect(s.tickets.map((t) => t.id)).toEqual(tickets.filter((t) => t.sessionId === s.id).map((t) => t.id));
    expect(items.some((s) => s.tickets.length > 0)).toBe(true);
  });

  it("forwards each caller's token: the gateway's partial errors keep their paths in the stitched answer", async () => {
    const alice = stack.emulator.tokens.users[0]!;
    const own = stack.emulator.store
      .sessions()
      .filter((s) => s.user_id === alice.userId && s.host_id)
      .slice(0, 2);
    tickets.push(...own.map((s, i) => ({ id: `A-${i}`, title: "alice's", sessionId: s.id })));
    try {
      stack.emulator.clearCalls();
      const result = await run(`{ tickets { id session { id user { loginName } host { id } } } }`, alice.token);
      const mine = new Set(
        stack.emulator.store
          .sessions()
          .filter((s) => s.user_id === alice.userId)
          .map((s) => s.id),
      );
      const data = result.data as { tickets: { id: string; session: { id: string; user: { loginName: string } | null; host: null } }[] };
      // Alice may read her own sessions and herself, not other users, and no host at all; the tickets
      // all stand, only the fields she may not read are null.
      expect(data.tickets.map((t) => t.session.id)).toEqual(tickets.map((t) => t.sessionId));
      const othersAt = new Set<number>();
      data.tickets.forEach((t, i) => {
        expect(t.session.host).toBeNull();
        if (mine.has(t.session.id)) expect(t.session.user).toEqual({ loginName: alice.loginName });
        else {
          expect(t.session.user).toBeNull();
          othersAt.add(i);
        }
      });
      expect(othersAt.size).toBeGreaterThan(0);
      for (const e of result.errors!) {
        expect(e.extensions?.code).toBe("FORBIDDEN");
        expect(e.path).toEqual(["tickets", expect.any(Number), "session", expect.stringMatching(/^(user|host)$/)]);
      }
      // Errors of other users' sessions keep their exact paths. (graphql-tools may file the errors of
      // a key asked for twice in one batch under the first occurrence; the values are right either way.)
      const userErrors = result.errors!.filter((e) => e.path![3] === "user").map((e) => e.path![1] as number);
      expect(new Set(userErrors)).toEqual(othersAt);
      expect(new Set(stack.emulator.calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${alice.token}`]));
    } finally {
      tickets.splice(4);
    }
  });
});
