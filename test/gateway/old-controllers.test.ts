/**
 * Controllers before 0.15 have no pagination: they ignore page_size and list_token and answer every
 * item with no response_type. The emulator answers so with `prePagination`; the gateway must still keep
 * `first` and MAX_LIST_ITEMS, say there is more, hand out no token, and warn once.
 */
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { captureLogs } from "../helpers/logs.js";

/** Every log line the gateway writes, parsed. */
const logs = captureLogs();
const { lines } = logs;

const PAGE = `query Page($first: Int, $scopeId: ID, $recursive: Boolean) {
  sessions(first: $first, scopeId: $scopeId, recursive: $recursive) { items { id } listToken hasNextPage responseType } }`;

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({
    emulator: { sessions: 30, prePagination: true },
    env: { MAX_LIST_ITEMS: "10", SUBSCRIPTION_MIN_INTERVAL_MS: "20" },
    gateway: { logger: logs.logger("warn") },
  });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

describe("a controller before 0.15", () => {
  it("the emulator's switch answers without pagination fields and ignores page_size", async () => {
    const res = await fetch(`${stack.emulator.url}/v1/sessions?scope_id=global&recursive=true&page_size=2`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect((body.items as unknown[]).length).toBeGreaterThan(2);
    expect(body).not.toHaveProperty("response_type");
    expect(body).not.toHaveProperty("list_token");
    expect(body).not.toHaveProperty("est_item_count");
  });

  it("cuts a listing to `first`, says there is more, returns no token, and warns once naming 0.15", async () => {
    const first = await stack.gql(PAGE, { first: 2 }, { token: admin });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.sessions).toMatchObject({ hasNextPage: true, listToken: null });
    expect(first.body.data!.sessions.items).toHaveLength(2);

    const capped = await stack.gql(PAGE, {}, { token: admin });
    expect(capped.body.data!.sessions.items).toHaveLength(10);
    expect(capped.body.data!.sessions.hasNextPage).toBe(true);

    const warnings = lines.filter((l) => typeof l.msg === "string" && (l.msg as string).includes("0.15"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
  });

  it("a small listing is complete", async () => {
    const project = stack.emulator.store.scopeIds()[2]!;
    const all = stack.emulator.store.sessions().filter((s) => s.scope_id === project && s.status !== "terminated");
    const res = await stack.gql(PAGE, { scopeId: project, recursive: false }, { token: admin });
    expect(res.body.data!.sessions).toMatchObject({ hasNextPage: false, listToken: null, responseType: "COMPLETE" });
    expect(res.body.data!.sessions.items).toHaveLength(all.length);
  });

  it("subscriptions re-list on every poll and tell the difference", async () => {
    const project = stack.emulator.store.scopeIds()[2]!;
    const client = createClient({
      url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin}` },
      retryAttempts: 0,
      lazy: true,
    });
    const events: any[] = [];
    const dispose = client.subscribe(
      {
        query: `subscription { sessionsChanged(scopeId: "${project}", recursive: false, intervalMs: 50) { items { id } removedIds listToken } }`,
      },
      { next: (r) => events.push(r), error: () => {}, complete: () => {} },
    );
    const wait = async (n: number) => {
      const until = Date.now() + 5000;
      while (events.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(events.length).toBeGreaterThanOrEqual(n);
      return events[n - 1];
    };
    try {
      const first = await wait(1);
      expect(first.data.sessionsChanged.listToken).toBeNull();
      stack.emulator.clearCalls();
      const created = stack.emulator.store.createSession({ projectId: project });
      const added = await wait(2);
      expect(added.data.sessionsChanged.items.map((s: { id: string }) => s.id)).toEqual([created]);
      const calls = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.query.list_token === undefined)).toBe(true);
      stack.emulator.store.deleteSession(created);
      const gone = await wait(3);
      expect(gone.data.sessionsChanged).toMatchObject({ items: [], removedIds: [created] });
    } finally {
      dispose();
      await client.dispose();
    }
  });
});
