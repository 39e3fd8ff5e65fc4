import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 80, seed: 4, users: 3 } });
});
afterAll(() => stack.close());

describe("token isolation", () => {
  it("serves each of many concurrent callers only what their own token may see", async () => {
    const { admin, users } = stack.emulator.tokens;
    const all = stack.emulator.store.sessions().filter((s) => s.termination_reason === undefined);
    const callers = [admin, ...users];
    const expectedFor = (userId: string) =>
      new Set((userId === admin.userId ? all : all.filter((s) => s.user_id === userId)).map((s) => s.id));

    const query = `{ sessions(first: 500) { items { id userId authorizedActions scope { parent { name } } connections { bytesUp } } } }`;
    const rounds = 6;
    const jobs = Array.from({ length: rounds }, () =>
      callers.map((c) => stack.gql(query, {}, { token: c.token }).then((res) => ({ c, res }))),
    ).flat();
    const results = await Promise.all(jobs);
    expect(results).toHaveLength(rounds * callers.length);
    for (const { c, res } of results) {
      expect(res.body.errors, c.loginName).toBeUndefined();
      const items = res.body.data!.sessions.items as { id: string; userId: string; authorizedActions: string[] }[];
      expect(new Set(items.map((s) => s.id)), c.loginName).toEqual(expectedFor(c.userId));
      if (c !== admin) {
        for (const s of items) {
          expect(s.userId).toBe(c.userId);
          expect([...s.authorizedActions].sort()).toEqual(["cancel:self", "read:self"]);
        }
      }
    }
    for (const u of users) expect(expectedFor(u.userId).size).toBeGreaterThan(0);
  });

  it("forwards each caller's Authorization header verbatim on every upstream call", async () => {
    const [alice] = stack.emulator.tokens.users;
    stack.emulator.clearCalls();
    await stack.gql(
      `{ sessions(first: 3) { items { connections { bytesUp } scope { parent { id } } } } }`,
      {},
      { headers: { authorization: `bearer   ${alice!.token}` } },
    );
    expect(stack.emulator.calls.length).toBeGreaterThan(3);
    expect(new Set(stack.emulator.calls.map((c) => c.authorization))).toEqual(new Set([`bearer   ${alice!.token}`]));
  });
});
