import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 40, seed: 5, cancelDelayMs: 1_000 } });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack.close());

const CANCEL = `mutation Cancel($id: ID!, $version: Int) {
  cancelSession(id: $id, version: $version) { id status version terminationReason states { status endTime } connections { closedReason } } }`;

function sessionIn(status: string, exclude: string[] = []): { id: string; version: number } {
  const s = stack.emulator.store.sessions().find((x) => x.status === status && !exclude.includes(x.id));
  if (!s) throw new Error(`the seed has no ${status} session left`);
  return { id: s.id, version: s.version! };
}

describe("cancelSession", () => {
  it("cancels with the current version: CANCELING, version+1, one POST with the literal :cancel verb", async () => {
    const { id, version } = sessionIn("active");
    stack.emulator.clearCalls();
    const res = await stack.gql(CANCEL, { id, version }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.cancelSession).toMatchObject({ id, status: "CANCELING", version: version + 1, terminationReason: null });
    expect(res.body.data!.cancelSession.states[0]).toEqual({ status: "CANCELING", endTime: null });
    const posts = callsTo(stack.emulator, "POST", /./);
    expect(posts.map((c) => c.path)).toEqual([`/v1/sessions/${id}:cancel`]);
    expect(stack.emulator.store.session(id)!.status).toBe("canceling");
  });

  it("reads the version first when it is omitted", async () => {
    const { id, version } = sessionIn("pending");
    stack.emulator.clearCalls();
    const res = await stack.gql(CANCEL, { id }, { token: admin });
    expect(res.body.data!.cancelSession).toMatchObject({ status: "CANCELING", version: version + 1 });
    expect(stack.emulator.calls.map((c) => `${c.method} ${c.path}`).slice(0, 2)).toEqual([
      `GET /v1/sessions/${id}`,
      `POST /v1/sessions/${id}:cancel`,
    ]);
  });

  it("reports a stale version as CONFLICT with the current version, and leaves the session as it was", async () => {
    const { id, version } = sessionIn("active");
    const res = await stack.gql(CANCEL, { id, version: version - 1 }, { token: admin });
    expect(res.body.data).toBeNull();
    const err = res.body.errors![0]!;
    expect(err.extensions).toMatchObject({ code: "CONFLICT", currentVersion: version });
    expect(err.path).toEqual(["cancelSession"]);
    expect(stack.emulator.store.session(id)!.status).toBe("active");
  });

  it("returns an already canceling session unchanged, whatever the version, with its connections", async () => {
    // A session made canceling by the store, which (unlike an API cancel) schedules no termination.
    const id = stack.emulator.store.createSession({ status: "active" });
    stack.emulator.store.setStatus(id, "canceling");
    const version = stack.emulator.store.session(id)!.version!;
    const res = await stack.gql(CANCEL, { id, version: 999 }, { token: admin });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.cancelSession).toMatchObject({ id, status: "CANCELING", version });
    expect(res.body.data!.cancelSession.connections).toHaveLength(stack.emulator.store.session(id)!.connections?.length ?? 0);
  });

  it("sees the session terminated (reason canceled) once the controller finishes cancelling", async () => {
    const { id, version } = sessionIn("active");
    await stack.gql(CANCEL, { id, version }, { token: admin });
    stack.emulator.clock.advance(1_500);
    const res = await stack.gql(`{ session(id: "${id}") { status version terminationReason states { status } } }`, {}, { token: admin });
    expect(res.body.data!.session).toMatchObject({ status: "TERMINATED", version: version + 2, terminationReason: "canceled" });
    expect(res.body.data!.session.states.map((s: { status: string }) => s.status).slice(0, 3)).toEqual([
      "TERMINATED",
      "CANCELING",
      "ACTIVE",
    ]);
    const again = await stack.gql(CANCEL, { id }, { token: admin });
    expect(again.body.data!.cancelSession).toMatchObject({ status: "TERMINATED", version: version + 2 });
  });

  it("refuses a version below 1 and a malformed id before any upstream call", async () => {
    stack.emulator.clearCalls();
    const { id } = sessionIn("active");
    const zero = await stack.gql(CANCEL, { id, version: 0 }, { token: admin });
    expect(zero.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "version" });
    const bad = await stack.gql(CANCEL, { id: "s_abc/../../x", version: 1 }, { token: admin });
    expect(bad.body.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    expect(stack.emulator.calls).toHaveLength(0);
  });

  it("lets a user cancel their own session and forbids another user's", async () => {
    const [alice, bob] = stack.emulator.tokens.users;
    const own = stack.emulator.store.createSession({ userId: alice!.userId, status: "active" });
    const otherId = stack.emulator.store.createSession({ userId: bob!.userId, status: "active" });
    const other = stack.emulator.store.session(otherId);
    const ok = await stack.gql(CANCEL, { id: own }, { token: alice!.token });
    expect(ok.body.data!.cancelSession.status).toBe("CANCELING");
    const denied = await stack.gql(CANCEL, { id: other!.id, version: other!.version }, { token: alice!.token });
    expect(denied.body.errors![0]!.extensions).toMatchObject({ code: "FORBIDDEN", upstream: { status: 403 } });
    expect(stack.emulator.store.session(other!.id)!.status).toBe(other!.status);
  });
});
