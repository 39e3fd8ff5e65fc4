/**
 * Refreshes report what left the caller's view. The controller filters refresh pages (filter and
 * include_terminated) and lists only hard deletions in `removed_ids` (internal/session/repository_session.go),
 * as the emulator does; so these tests fail unless the gateway asks for refreshes unfiltered and filters
 * them itself. Over HTTP (`sessions(after:)`) and over WebSocket (`sessionsChanged`).
 */
import { createClient, type Client, type FormattedExecutionResult } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

const ACTIVE = '"/item/status" == "active"';
const PAGE = `query Page($scopeId: ID, $filter: String, $includeTerminated: Boolean, $after: String, $first: Int) {
  sessions(scopeId: $scopeId, recursive: false, filter: $filter, includeTerminated: $includeTerminated, after: $after, first: $first) {
    items { id status } listToken hasNextPage removedIds } }`;
const CHANGED = `subscription Changed($scopeId: ID, $filter: String, $includeTerminated: Boolean) {
  sessionsChanged(scopeId: $scopeId, recursive: false, filter: $filter, includeTerminated: $includeTerminated, intervalMs: 50) {
    items { id status } removedIds } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelSession(id: $id) { id status } }`;

type Result = FormattedExecutionResult<Record<string, any>, unknown>;

let stack: Stack;
let admin: string;
let project: string;

beforeAll(async () => {
  stack = await startStack({ env: { SUBSCRIPTION_MIN_INTERVAL_MS: "20" } });
  admin = stack.emulator.tokens.admin.token;
  project = stack.emulator.store.scopeIds()[2]!;
});
afterAll(() => stack.close());

function sessionIn(status: string): string {
  const s = stack.emulator.store.sessions().find((x) => x.scope_id === project && x.status === status);
  return s ? s.id : stack.emulator.store.createSession({ projectId: project, status: status as "active" });
}

async function page(vars: Record<string, unknown>) {
  const res = await stack.gql(PAGE, { scopeId: project, ...vars }, { token: admin });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.sessions as {
    items: { id: string; status: string }[];
    listToken: string;
    hasNextPage: boolean;
    removedIds: string[];
  };
}

/** Events of one subscription, with a bounded wait for the n-th. */
function subscribe(client: Client, variables: Record<string, unknown>) {
  const events: Result[] = [];
  let failure: unknown;
  const dispose = client.subscribe<Record<string, any>>(
    { query: CHANGED, variables },
    {
      next: (r) => events.push(r),
      error: (e) => (failure = e),
      complete: () => {},
    },
  );
  return {
    dispose,
    async event(n: number): Promise<Result> {
      const until = Date.now() + 5_000;
      while (events.length < n && failure === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      if (events.length < n) throw new Error(`no event ${n}: ${JSON.stringify(events)} ${String(failure)}`);
      return events[n - 1]!;
    },
  };
}

function connect(): Client {
  return createClient({
    url: `${stack.gateway.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${admin}` },
    retryAttempts: 0,
    lazy: true,
  });
}

describe("refresh over HTTP (sessions(after:))", () => {
  it("reports a session cancelled under an active-only filter in removedIds, and asks the controller unfiltered", async () => {
    const id = sessionIn("active");
    const first = await page({ filter: ACTIVE });
    expect(first.items.map((s) => s.id)).toContain(id);
    expect(first.items.every((s) => s.status === "ACTIVE")).toBe(true);

    const cancelled = await stack.gql(CANCEL, { id }, { token: admin });
    expect(cancelled.body.data!.cancelSession).toMatchObject({ id, status: "CANCELING" });
    stack.emulator.clearCalls();

    const refresh = await page({ filter: ACTIVE, after: first.listToken });
    expect(refresh.removedIds).toContain(id);
    expect(refresh.items.map((s) => s.id)).not.toContain(id);
    expect(refresh.items.every((s) => s.status === "ACTIVE")).toBe(true);
    const calls = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.filter).toBeUndefined();
    expect(calls[0]!.query.include_terminated).toBe("true");
  });

  it("reports a session that terminated in removedIds when includeTerminated is false", async () => {
    const id = sessionIn("active");
    const first = await page({ includeTerminated: false });
    expect(first.items.map((s) => s.id)).toContain(id);
    stack.emulator.store.setStatus(id, "terminated", "canceled");
    const refresh = await page({ includeTerminated: false, after: first.listToken });
    expect(refresh.removedIds).toContain(id);
    expect(refresh.items.map((s) => s.id)).not.toContain(id);
    // With includeTerminated, the same change is an item.
    const all = await page({ includeTerminated: true, after: first.listToken });
    expect(all.items.find((s) => s.id === id)).toMatchObject({ status: "TERMINATED" });
    expect(all.removedIds).not.toContain(id);
  });

  it("keeps the filter on a listing's later pages and reports nothing as removed there", async () => {
    for (let i = 0; i < 3; i++) stack.emulator.store.createSession({ projectId: project, status: "active" });
    const first = await page({ filter: ACTIVE, first: 1 });
    expect(first.hasNextPage).toBe(true);
    stack.emulator.clearCalls();
    const next = await page({ filter: ACTIVE, first: 2, after: first.listToken });
    expect(next.items).toHaveLength(2);
    expect(next.items.every((s) => s.status === "ACTIVE")).toBe(true);
    expect(next.removedIds).toEqual([]);
    const calls = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    // The gateway handed out that token mid-listing, so it knows the phase: the filter goes along.
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.query.filter === ACTIVE && c.query.include_terminated === undefined)).toBe(true);
  });

  it("refuses a filter that does not parse before any call", async () => {
    stack.emulator.clearCalls();
    const res = await stack.gql(PAGE, { scopeId: project, filter: '"/item/status" ==', after: "1111" }, { token: admin });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter" });
    expect(stack.emulator.calls).toHaveLength(0);
  });
});

describe("refresh over WebSocket (sessionsChanged)", () => {
  it("tells a session cancelled under an active-only filter as removed", async () => {
    const id = sessionIn("active");
    const client = connect();
    try {
      const sub = subscribe(client, { scopeId: project, filter: ACTIVE });
      const first = await sub.event(1);
      expect((first.data!.sessionsChanged.items as { id: string }[]).map((s) => s.id)).toContain(id);
      await stack.gql(CANCEL, { id }, { token: admin });
      const next = await sub.event(2);
      expect(next.data!.sessionsChanged).toMatchObject({ items: [], removedIds: [id] });
      sub.dispose();
    } finally {
      await client.dispose();
    }
  });

  it("tells a session that terminated as removed when includeTerminated is false, under a filter", async () => {
    const id = sessionIn("active");
    const client = connect();
    try {
      const sub = subscribe(client, { scopeId: project, filter: `"/item/scope_id" == "${project}"`, includeTerminated: false });
      const first = await sub.event(1);
      expect((first.data!.sessionsChanged.items as { id: string }[]).map((s) => s.id)).toContain(id);
      stack.emulator.store.setStatus(id, "terminated", "canceled");
      const next = await sub.event(2);
      expect(next.data!.sessionsChanged).toMatchObject({ items: [], removedIds: [id] });
      sub.dispose();
    } finally {
      await client.dispose();
    }
  });
});
