/**
 * `estItemCount` as the controller sends it: a uint32 from Postgres' statistics, 4294967295 on a table
 * never analysed. Values beyond GraphQL's Int are unknown (null), never a field error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ emulator: { sessions: 12, seed: 8 } });
  admin = stack.emulator.tokens.admin.token;
});
afterEach(() => stack.emulator.store.setSessionEstimate(undefined));
afterAll(() => stack.close());

/** One page of two: not complete, so the controller sends its table-wide estimate. */
const PAGE = `{ sessions(first: 2, includeTerminated: true) { items { id } hasNextPage estItemCount } }`;

async function page() {
  const res = await stack.gql(PAGE, {}, { token: admin });
  const raw = await fetch(`${stack.emulator.url}/v1/sessions?scope_id=global&recursive=true&include_terminated=true&page_size=2`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  return { res, wire: ((await raw.json()) as { est_item_count?: number }).est_item_count };
}

describe("estItemCount", () => {
  it("passes the controller's estimate through", async () => {
    stack.emulator.store.setSessionEstimate(4321);
    const { res, wire } = await page();
    expect(wire).toBe(4321);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sessions).toMatchObject({ hasNextPage: true, estItemCount: 4321 });
  });

  it("is null, with no error, for a never-analysed table's 4294967295", async () => {
    stack.emulator.store.setSessionEstimate(4294967295);
    const { res, wire } = await page();
    expect(wire).toBe(4294967295);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sessions.items).toHaveLength(2);
    expect(res.body.data!.sessions.estItemCount).toBeNull();
  });

  it("keeps 2^31-1 and drops 2^31", async () => {
    stack.emulator.store.setSessionEstimate(2 ** 31 - 1);
    expect((await page()).res.body.data!.sessions.estItemCount).toBe(2 ** 31 - 1);
    stack.emulator.store.setSessionEstimate(2 ** 31);
    const { res } = await page();
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sessions.estItemCount).toBeNull();
  });
});
