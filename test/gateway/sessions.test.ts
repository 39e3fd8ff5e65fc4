import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";
import { SESSION_FIELDS, expectSessionMapped } from "../helpers/expect-session.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 90, seed: 11 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const PAGE = `query Page($first: Int, $after: String, $filter: String, $includeTerminated: Boolean, $scopeId: ID, $recursive: Boolean) {
  sessions(first: $first, after: $after, filter: $filter, includeTerminated: $includeTerminated, scopeId: $scopeId, recursive: $recursive) {
    items { ${SESSION_FIELDS} } listToken responseType hasNextPage removedIds estItemCount sortBy sortDir } }`;

/** An RFC 3339 UTC time as a string that sorts correctly: fractions padded to nanoseconds. */
function instant(t: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(t)!;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}`;
}

/** What a listing from global should return: unterminated unless asked, newest first, id tie-break. */
function expected(filter: (s: WireSession) => boolean = () => true, includeTerminated = false): string[] {
  return stack.emulator.store
    .sessions()
    .filter((s) => (includeTerminated || s.termination_reason === undefined) && filter(s))
    .sort((a, b) => {
      const [ta, tb] = [instant(a.created_time!), instant(b.created_time!)];
      return ta < tb ? 1 : ta > tb ? -1 : a.id < b.id ? 1 : -1;
    })
    .map((s) => s.id);
}

describe("sessions", () => {
  it("walks pages of `first` with `after` to the whole listing, each page's parameters repeated upstream", async () => {
    const filter = `"/item/type" == "tcp"`;
    stack.emulator.clearCalls();
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await stack.gql(PAGE, { first: 7, after, filter }, { token: admin });
      expect(res.body.errors).toBeUndefined();
      const page = res.body.data!.sessions;
      expect(page.items.length).toBeLessThanOrEqual(7);
      expect(page.sortBy).toBe("created_time");
      expect(page.sortDir).toBe("desc");
      seen.push(...page.items.map((s: { id: string }) => s.id));
      pages++;
      if (!page.hasNextPage) {
        expect(page.responseType).toBe("COMPLETE");
        expect(page.listToken).toEqual(expect.any(String));
        break;
      }
      expect(page.responseType).toBe("DELTA");
      expect(page.items).toHaveLength(7);
      after = page.listToken;
    }
    const want = expected((s) => s.type === "tcp");
    expect(seen).toEqual(want);
    expect(new Set(seen).size).toBe(seen.length);
    // Complete as soon as fewer than page_size+1 remain: no empty trailing page.
    expect(pages).toBe(Math.ceil(want.length / 7));

    const calls = callsTo(stack.emulator, "GET", /^\/v1\/sessions$/);
    expect(calls).toHaveLength(pages);
    calls.forEach((c, i) => {
      expect(c.query).toMatchObject({ scope_id: "global", recursive: "true", filter, page_size: "7" });
      expect(c.query.include_terminated).toBeUndefined();
      if (i === 0) expect(c.query.list_token).toBeUndefined();
      else expect(c.query.list_token).toEqual(expect.any(String));
    });
  });

  it("maps every field of listed sessions", async () => {
    const res = await stack.gql(PAGE, { first: 20 }, { token: admin });
    const listed = await fetch(`${stack.emulator.url}/v1/sessions?scope_id=global&recursive=true&page_size=20`, {
      headers: { authorization: `Bearer ${admin}` },
    }).then((r) => r.json() as Promise<{ items: WireSession[] }>);
    expect(res.body.data!.sessions.items).toHaveLength(20);
    res.body.data!.sessions.items.forEach((s: Record<string, unknown>, i: number) => expectSessionMapped(s, listed.items[i]!));
  });

  it("returns the whole listing in one field when `first` is omitted, with an exact count", async () => {
    const res = await stack.gql(PAGE, { includeTerminated: true }, { token: admin });
    const page = res.body.data!.sessions;
    expect(page.items.map((s: { id: string }) => s.id)).toEqual(expected(() => true, true));
    expect(page).toMatchObject({ responseType: "COMPLETE", hasNextPage: false, estItemCount: 90, removedIds: [] });
  });

  it("applies a filter upstream and reports a bad one as BAD_USER_INPUT naming the field", async () => {
    const res = await stack.gql(PAGE, { filter: `"/item/status" == "active"` }, { token: admin });
    const items = res.body.data!.sessions.items as { status: string }[];
    expect(items.length).toBe(expected((s) => s.status === "active").length);
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((s) => s.status))).toEqual(new Set(["ACTIVE"]));

    const bad = await stack.gql(PAGE, { filter: `"/item/status" === "active"` }, { token: admin });
    expect(bad.body.data).toBeNull();
    expect(bad.body.errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
    // Parsed by the gateway (it filters refreshes itself), so refused before any call.
    expect(bad.body.errors![0]!.extensions!.field).toBe("filter");
  });

  it("lists one project without recursion, and refuses an org without it as the controller does", async () => {
    const projectId = stack.emulator.store.sessions()[0]!.scope_id!;
    const res = await stack.gql(PAGE, { scopeId: projectId, recursive: false }, { token: admin });
    expect(res.body.data!.sessions.items.map((s: { id: string }) => s.id)).toEqual(expected((s) => s.scope_id === projectId));

    const orgId = stack.emulator.store.scopeIds().find((id) => id.startsWith("o_"))!;
    const bad = await stack.gql(PAGE, { scopeId: orgId, recursive: false }, { token: admin });
    expect(bad.body.errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
  });

  it("refuses `first` outside 1..MAX_LIST_ITEMS before any upstream call", async () => {
    stack.emulator.clearCalls();
    for (const first of [0, -3, 10_001]) {
      const res = await stack.gql(PAGE, { first }, { token: admin });
      expect(res.body.errors![0]!.extensions!.code).toBe("BAD_USER_INPUT");
      expect(res.body.errors![0]!.message).toContain("first");
    }
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("turns `after` from a complete listing into a refresh: changed items and removed ids", async () => {
    const first = await stack.gql(PAGE, {}, { token: admin });
    const token = first.body.data!.sessions.listToken as string;
    const ids = first.body.data!.sessions.items.map((s: { id: string }) => s.id) as string[];
    const [toCancel, toDelete] = [ids[4]!, ids[9]!];
    stack.emulator.store.setStatus(toCancel, "canceling");
    stack.emulator.store.deleteSession(toDelete);
    const created = stack.emulator.store.createSession({});

    const res = await stack.gql(PAGE, { after: token }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    const page = res.body.data!.sessions;
    const changed = page.items.map((s: { id: string }) => s.id);
    expect(changed).toEqual(expect.arrayContaining([toCancel, created]));
    expect(changed).not.toContain(toDelete);
    expect(page.removedIds).toContain(toDelete);
    expect(page.sortBy).toBe("updated_time");
    expect(page.items.find((s: { id: string }) => s.id === toCancel).status).toBe("CANCELING");
  });
});

describe("sessions with MAX_LIST_ITEMS", () => {
  let small: Stack;
  beforeAll(async () => {
    small = await startStack({ emulator: { sessions: 40, seed: 3, maxPageSize: 10 }, env: { MAX_LIST_ITEMS: "25" } });
  });
  afterAll(() => small.close());

  it("stops at the cap with hasNextPage and a token that goes on from there", async () => {
    const token = small.emulator.tokens.admin.token;
    small.emulator.clearCalls();
    const res = await small.gql(PAGE, { includeTerminated: true }, { token });
    const page = res.body.data!.sessions;
    expect(page.items).toHaveLength(25);
    expect(page).toMatchObject({ hasNextPage: true, responseType: "DELTA" });
    // Pages of the controller's maximum (10), then exactly what is still wanted.
    expect(callsTo(small.emulator, "GET", /^\/v1\/sessions$/).map((c) => c.query.page_size)).toEqual(["25", "15", "5"]);

    const rest = await small.gql(PAGE, { includeTerminated: true, after: page.listToken }, { token });
    const all = [...page.items, ...rest.body.data!.sessions.items].map((s: { id: string }) => s.id);
    expect(rest.body.data!.sessions.hasNextPage).toBe(false);
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
  });
});
