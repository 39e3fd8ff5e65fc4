/** Admission by cost: a full in-flight budget makes the next heavy operation wait, then OVERLOADED. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

const LIST = "{ sessions(first: 20) { items { id } } }"; // estimated cost 1

describe("admission by cost", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Every upstream answer takes 1.5 s, so two listings hold the whole budget (2) well past the 200 ms wait.
    stack = await startStack({
      emulator: { latencyMs: 1500 },
      env: { MAX_INFLIGHT_COST: "2", ADMISSION_CHEAP_COST: "0", ADMISSION_TIMEOUT_MS: "200" },
    });
  });
  afterAll(() => stack.close());

  it("refuses the operation that does not fit with 503, Retry-After and OVERLOADED, makes no upstream call for it, and admits later ones once answers are written", async () => {
    const token = stack.emulator.tokens.admin.token;
    const held = [stack.gql(LIST, undefined, { token }), stack.gql(LIST, undefined, { token })];
    // Let both be admitted and reach the emulator first.
    while (callsTo(stack.emulator, "GET", /\/v1\/sessions/).length < 2) await new Promise((r) => setTimeout(r, 10));
    const refused = await stack.gql(LIST, undefined, { token });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("OVERLOADED");
    expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBe(1);
    expect(refused.headers.get("retry-after")).toBe("1");
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(callsTo(stack.emulator, "GET", /\/v1\/sessions/)).toHaveLength(2);

    const later = await stack.gql(LIST, undefined, { token });
    expect(later.status).toBe(200);
    expect(later.body.errors).toBeUndefined();
    expect(callsTo(stack.emulator, "GET", /\/v1\/sessions/)).toHaveLength(3);
  });
});
