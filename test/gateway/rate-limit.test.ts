/** RATE_LIMIT_COST_PER_MINUTE: each token's estimated cost over a minute, refused before any upstream call. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

const LIST = "{ sessions(first: 20) { items { id } } }"; // estimated cost 1

describe("per-token rate limit", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_COST_PER_MINUTE: "3" } });
  });
  afterAll(() => stack.close());

  it("answers N per minute, then RATE_LIMITED with retryAfter and HTTP 429, with no upstream call; another token is unaffected", async () => {
    const admin = stack.emulator.tokens.admin.token;
    for (let i = 0; i < 3; i++) {
      const ok = await stack.gql(LIST, undefined, { token: admin });
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
    }
    const callsBefore = stack.emulator.calls.length;
    const refused = await stack.gql(LIST, undefined, { token: admin });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    const retryAfter = refused.body.errors?.[0]?.extensions?.retryAfter as number;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("retry-after")).toBe(String(retryAfter));
    expect(stack.emulator.calls.length).toBe(callsBefore);

    const other = await stack.gql(LIST, undefined, { token: stack.emulator.tokens.scopeLimited.token });
    expect(other.status).toBe(200);
    expect(other.body.errors).toBeUndefined();
  });
});
