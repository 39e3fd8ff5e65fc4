/**
 * Whole listings run and written page by page (src/execution/paged.ts) against the same listings run as
 * one execution (PAGED_LISTINGS=false): each gateway on its own emulator seeded alike, with pages of 50
 * so that 230 sessions take five pages. Status, content type and body must match byte for byte, and so
 * must the calls that reached each controller; the `graphql_request_lane_total{lane="paged"}` metric says
 * which path answered, so a paged path that silently ran everything as one execution fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";
import type { Emulator } from "../../src/emulator/types.js";
import { startStack, type Stack } from "../helpers/harness.js";

const EMULATOR = { sessions: 230, maxPageSize: 50, seed: 23, startTime: Date.UTC(2026, 10, 2, 12), cancelDelayMs: 60_000 };
/** A listing without `first` is costed as MAX_LIST_ITEMS sessions: 300 keeps the neighbours within the cost limit. */
const ENV = { MAX_LIST_ITEMS: "300" };

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  calls: string[];
}

async function send(stack: Stack, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const before = stack.emulator.calls.length;
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: "POST",
    // One request id for both gateways: every error carries it, and the answers are compared byte for byte.
    headers: {
      "content-type": "application/json",
      "x-request-id": "compare",
      authorization: `Bearer ${stack.emulator.tokens.admin.token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  // List tokens carry the controller's wall-clock time, which two controllers never share.
  const body = (await res.text()).replace(/"listToken":"[1-9A-HJ-NP-Za-km-z]+"/g, '"listToken":"<token>"');
  // Neighbours are read page by page on one side and all at once on the other: the same calls, in another order.
  const calls = stack.emulator.calls
    .slice(before)
    .map((x) => `${x.method} ${x.path} ${JSON.stringify({ ...x.query, list_token: x.query.list_token && "<token>" })} ${x.status}`)
    .sort();
  return { status: res.status, contentType: res.headers.get("content-type"), body, calls };
}

async function lane(stack: Stack, name: "fast" | "paged"): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const m = new RegExp(`^graphql_request_lane_total\\{lane="${name}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Sends one operation to both gateways and compares everything; `paged` says which path must answer it.
 * `fewerCalls`: the paged side may leave out some of the other's calls (it stops where an item nulled the
 * listing), and makes no other.
 */
async function compare(query: string, paged: boolean, variables?: Record<string, unknown>, fewerCalls = false): Promise<[Answer, Answer]> {
  const before = await lane(pagedStack, "paged");
  const a = await send(pagedStack, query, variables);
  const b = await send(wholeStack, query, variables);
  if (fewerCalls) {
    expect({ ...a, calls: [] }).toEqual({ ...b, calls: [] });
    expect(a.calls.filter((c) => !b.calls.includes(c))).toEqual([]);
  } else expect(a).toEqual(b);
  expect(await lane(pagedStack, "paged")).toBe(before + (paged ? 1 : 0));
  expect(await lane(wholeStack, "paged"), "PAGED_LISTINGS=false never pages").toBe(0);
  return [a, b];
}

/** Both emulators get the same fault (each gateway has its own controller). */
function onBoth(f: (e: Emulator) => void): void {
  f(pagedStack.emulator);
  f(wholeStack.emulator);
}

let pagedStack: Stack;
let wholeStack: Stack;
let sessions: WireSession[];

beforeAll(async () => {
  [pagedStack, wholeStack] = await Promise.all([
    startStack({ emulator: EMULATOR, env: ENV }),
    startStack({ emulator: EMULATOR, env: { ...ENV, PAGED_LISTINGS: "false" } }),
  ]);
  sessions = pagedStack.emulator.store.sessions();
});
afterAll(async () => {
  await Promise.all([pagedStack?.close(), wholeStack?.close()]);
});

const LISTING = `query Everything {
  sessions(includeTerminated: true) {
    estItemCount
    every: items { id status userId createdTime scope { name parent { name } } target { name } }
    responseType
    hasNextPage
    listToken
  }
}`;

describe("a whole listing run page by page", () => {
  it("answers as one execution does, byte for byte, with items from every page and their neighbours", async () => {
    expect(sessions.length).toBe(230);
    const [answer] = await compare(LISTING, true);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.errors).toBeUndefined();
    const page = body.data.sessions;
    expect(Object.keys(page)).toEqual(["estItemCount", "every", "responseType", "hasNextPage", "listToken"]);
    expect(page.every.map((s: { id: string }) => s.id)).toEqual(sessions.map((s) => s.id));
    expect(page.estItemCount).toBe(230);
    expect(page.responseType).toBe("COMPLETE");
    expect(page.every[229].scope.name).toEqual(expect.any(String));
    // Five pages of 50, and each distinct scope and target read once.
    expect(answer.calls.filter((c) => c.startsWith("GET /v1/sessions ")).length).toBe(5);
    const targets = new Set(sessions.map((s) => s.target_id).filter(Boolean));
    expect(answer.calls.filter((c) => c.startsWith("GET /v1/targets/")).length).toBe(targets.size);
  });

  it("runs only the plain form page by page: a page, a next page, two root fields and fragments run as one execution", async () => {
    await compare(`{ sessions(first: 120, includeTerminated: true) { items { id } listToken } }`, false);
    await compare(`{ a: sessions(includeTerminated: true) { items { id } } b: session(id: "${sessions[0]!.id}") { id } }`, false);
    await compare(`{ sessions(includeTerminated: true) { ...P } } fragment P on SessionPage { items { id } }`, false);
    await compare(`query ($skip: Boolean!) { sessions(includeTerminated: true) { items @skip(if: $skip) { id } } }`, false, {
      skip: false,
    });
    // The plain form with a variable, a filter and fragments inside the items: paged.
    const [filtered] = await compare(
      `query ($f: String) { sessions(includeTerminated: true, filter: $f) { items { ...S } } } fragment S on Session { id status }`,
      true,
      { f: `"/item/status" == "active"` },
    );
    const active = sessions.filter((s) => s.status === "active").map((s) => s.id);
    expect(active.length).toBeGreaterThan(0);
    expect(JSON.parse(filtered.body).data.sessions.items.map((s: { id: string }) => s.id)).toEqual(active);
  });

  it("keeps each item's error at its own index, counted from the listing's first item", async () => {
    // A target read refused: `target` is nullable, so each of its sessions keeps its place with a null.
    // The target whose first session comes latest: its errors are all past the first page.
    const firsts = new Map<string, number>();
    sessions.forEach((s, i) => s.target_id && !firsts.has(s.target_id) && firsts.set(s.target_id, i));
    const [target, at] = [...firsts].sort((x, y) => y[1] - x[1])[0]!;
    expect(at, "a target whose first session is past the first page").toBeGreaterThanOrEqual(50);
    const late = { target_id: target };
    onBoth((e) => e.faults.add({ kind: "status", status: 403, times: 10, match: new RegExp(`^GET /v1/targets/${late.target_id}$`) }));
    const [answer] = await compare(LISTING, true);
    onBoth((e) => e.faults.clear());
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    const indexes = sessions.flatMap((s, i) => (s.target_id === late.target_id ? [i] : []));
    expect(body.errors.map((e: { path: unknown[] }) => e.path)).toEqual(indexes.map((i) => ["sessions", "every", i, "target"]));
    expect(body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(indexes.every((i) => body.data.sessions.every[i].target === null)).toBe(true);
    expect(body.data.sessions.every).toHaveLength(230);
  });

  it("answers as one execution does when an item's non-null field fails and nulls the whole listing", async () => {
    // `connections` is non-null, and a listed session has none: each is read. One read refused nulls
    // that item, the items and the listing, up to `data`; the item is on the third page.
    const failing = sessions[120]!;
    onBoth((e) => e.faults.add({ kind: "status", status: 403, times: 10, match: new RegExp(`^GET /v1/sessions/${failing.id}$`) }));
    const query = `{ sessions(includeTerminated: true) { items { id connections { clientTcpPort } } } }`;
    const [answer, whole] = await compare(query, true, undefined, true);
    onBoth((e) => e.faults.clear());
    // One execution reads every session; run page by page, the walk ends with the third page.
    const reads = (x: Answer) => x.calls.filter((c) => c.startsWith("GET /v1/sessions/")).length;
    expect(reads(whole)).toBe(230);
    expect(reads(answer)).toBe(150);
    const body = JSON.parse(answer.body);
    expect(body.data).toBeNull();
    expect(body.errors.map((e: { path: unknown[] }) => e.path)).toEqual([["sessions", "items", 120, "connections"]]);
    expect(body.errors[0].extensions.code).toBe("FORBIDDEN");
  });
});

describe("a whole listing whose pages are slow to run", () => {
  it("holds the walk while a page's neighbours are read: at most one page runs and one more is fetched", async () => {
    // The first session's target answers after 800 ms: the first page runs that long.
    const slow = sessions[0]!.target_id!;
    pagedStack.emulator.faults.add({ kind: "latency", ms: 800, match: new RegExp(`^GET /v1/targets/${slow}$`) });
    const before = pagedStack.emulator.calls.length;
    const answer = await send(pagedStack, LISTING);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.sessions.every).toHaveLength(sessions.length);
    const calls = pagedStack.emulator.calls.slice(before);
    const read = calls.find((c) => c.path === `/v1/targets/${slow}`)!;
    expect(read.end - read.start).toBeGreaterThanOrEqual(790);
    const lists = calls.filter((c) => c.path === "/v1/sessions");
    expect(lists).toHaveLength(Math.ceil(sessions.length / 50));
    // Pages 1 and 2, and page 3 asked ahead while page 2 was parsed; the rest wait for page 1 to be run.
    expect(lists.filter((c) => c.start < read.end).length).toBe(3);
  });
});

describe("a whole listing longer than MAX_LIST_ITEMS", () => {
  let a: Stack;
  let b: Stack;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      startStack({ emulator: EMULATOR, env: { MAX_LIST_ITEMS: "120" } }),
      startStack({ emulator: EMULATOR, env: { MAX_LIST_ITEMS: "120", PAGED_LISTINGS: "false" } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("stops at MAX_LIST_ITEMS with a token for the rest, as one execution does", async () => {
    const query = `{ sessions(includeTerminated: true) { hasNextPage items { id scope { name } } listToken responseType } }`;
    const onA = await send(a, query);
    const onB = await send(b, query);
    expect(onA).toEqual(onB);
    const page = JSON.parse(onA.body).data.sessions;
    expect(page.items.map((s: { id: string }) => s.id)).toEqual(sessions.slice(0, 120).map((s) => s.id));
    expect(page).toMatchObject({ hasNextPage: true, listToken: "<token>", responseType: "DELTA" });
    expect(onA.calls.filter((c) => c.startsWith("GET /v1/sessions ")).length).toBe(3);
    expect(await lane(a, "paged")).toBe(1);
  });
});

describe("a whole listing that fails while it is walked", () => {
  let a: Stack;
  let b: Stack;
  beforeAll(async () => {
    // Three list calls per 30 s: the fourth page is refused by the gateway's own budget.
    [a, b] = await Promise.all([
      startStack({ emulator: EMULATOR, env: { ...ENV, UPSTREAM_LIST_BUDGET: "3" } }),
      startStack({ emulator: EMULATOR, env: { ...ENV, UPSTREAM_LIST_BUDGET: "3", PAGED_LISTINGS: "false" } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("answers with the listing's error alone, as one execution does, none of the pages it had run", async () => {
    const onA = await send(a, LISTING);
    const onB = await send(b, LISTING);
    expect({ ...onA, calls: undefined }).toEqual({ ...onB, calls: undefined });
    const body = JSON.parse(onA.body);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].path).toEqual(["sessions"]);
    expect(body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", limit: "UPSTREAM_LIST_BUDGET" });
    // The same three list calls; the pages that arrived before the refusal had their neighbours read
    // (the only difference one execution does not have).
    const lists = (x: Answer) => x.calls.filter((c) => c.startsWith("GET /v1/sessions "));
    expect(lists(onA)).toEqual(lists(onB));
    expect(lists(onA)).toHaveLength(3);
    expect(onB.calls).toEqual(lists(onB));
    expect(
      onA.calls.filter((c) => !c.startsWith("GET /v1/sessions ")).every((c) => /^GET \/v1\/(scopes|targets)\/\S+ \{\} 200$/.test(c)),
    ).toBe(true);
    expect(await lane(a, "paged")).toBe(1);
  });
});
