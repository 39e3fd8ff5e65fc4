import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallRecord } from "../../src/emulator/types.js";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 60, seed: 9, orgs: 3, projectsPerOrg: 3 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => {
  stack.emulator.faults.latencyMs = 0;
  return stack.close();
});

/** Whether every pair of calls was in flight at the same time (none waited for another to finish). */
function allOverlap(calls: CallRecord[]): boolean {
  return calls.every((a) => calls.every((b) => a === b || (a.start < b.end && b.start < a.end)));
}

describe("scope lookups are batched per request", () => {
  it("reads each distinct parent scope once, the orgs concurrently, whatever the number of sessions", async () => {
    const res0 = await stack.gql(
      `{ sessions(includeTerminated: true) { items { scopeId scope { parentScopeId } } } }`,
      {},
      { token: admin },
    );
    const items = res0.body.data!.sessions.items as { scopeId: string; scope: { parentScopeId: string } }[];
    const orgs = new Set(items.map((s) => s.scope.parentScopeId));
    expect(items).toHaveLength(60);
    expect(orgs.size).toBe(3);

    stack.emulator.faults.latencyMs = 40;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `{ sessions(includeTerminated: true, first: 100) { items { id scope { name parent { name parent { name parent { id } } } } } } }`,
      {},
      { token: admin },
    );
    stack.emulator.faults.latencyMs = 0;
    expect(res.body.errors).toBeUndefined();
    const reads = callsTo(stack.emulator, "GET", /^\/v1\/scopes\//);
    expect(reads.map((c) => c.path).sort()).toEqual([...[...orgs].map((o) => `/v1/scopes/${o}`), "/v1/scopes/global"].sort());
    const orgReads = reads.filter((c) => c.path.includes("/o_"));
    expect(allOverlap(orgReads)).toBe(true);
    // Every read carried the caller's token.
    expect(new Set(reads.map((c) => c.authorization))).toEqual(new Set([`Bearer ${admin}`]));
    const names = res.body.data!.sessions.items.map(
      (s: { scope: { parent: { parent: { name: string; parent: null } } } }) => s.scope.parent.parent,
    );
    expect(new Set(names.map((n: unknown) => JSON.stringify(n)))).toEqual(new Set([JSON.stringify({ name: "global", parent: null })]));
  });

  it("reads each project once, concurrently, for full-scope fields", async () => {
    stack.emulator.faults.latencyMs = 40;
    stack.emulator.clearCalls();
    const res = await stack.gql(
      `{ sessions(includeTerminated: true, first: 100) { items { scopeId scope { version createdTime } } } }`,
      {},
      { token: admin },
    );
    stack.emulator.faults.latencyMs = 0;
    const projects = new Set(res.body.data!.sessions.items.map((s: { scopeId: string }) => s.scopeId));
    const reads = callsTo(stack.emulator, "GET", /^\/v1\/scopes\//);
    expect(reads).toHaveLength(projects.size);
    expect(new Set(reads.map((c) => c.path))).toEqual(new Set([...projects].map((p) => `/v1/scopes/${p}`)));
    expect(allOverlap(reads)).toBe(true);
  });

  it("loads connections of listed sessions with one read per session, only when selected", async () => {
    stack.emulator.clearCalls();
    await stack.gql(`{ sessions(first: 12) { items { id } } }`, {}, { token: admin });
    expect(callsTo(stack.emulator, "GET", /^\/v1\/sessions\//)).toHaveLength(0);
    stack.emulator.clearCalls();
    const res = await stack.gql(`{ sessions(first: 12) { items { id connections { bytesUp } } } }`, {}, { token: admin });
    const ids = res.body.data!.sessions.items.map((s: { id: string }) => s.id);
    expect(
      callsTo(stack.emulator, "GET", /^\/v1\/sessions\//)
        .map((c) => c.path)
        .sort(),
    ).toEqual(ids.map((id: string) => `/v1/sessions/${id}`).sort());
  });

  it("never shares reads between requests", async () => {
    stack.emulator.clearCalls();
    const q = `{ sessions(first: 5) { items { scope { parent { name } } } } }`;
    await stack.gql(q, {}, { token: admin });
    const once = callsTo(stack.emulator, "GET", /^\/v1\/scopes\//).length;
    await stack.gql(q, {}, { token: admin });
    expect(callsTo(stack.emulator, "GET", /^\/v1\/scopes\//).length).toBe(once * 2);
  });
});
