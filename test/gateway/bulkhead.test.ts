/**
 * The upstream bulkhead: slow reads of one session fill only their own compartments, so a read of another
 * session or another endpoint still gets a connection while they are all pending.
 */
import { afterEach, describe, expect, it } from "vitest";
import { callsTo, startStack, type Stack } from "../helpers/harness.js";

const SLOW_MS = 700;
const SLOW_READS = 8;
const READ = `query One($id: ID!) { session(id: $id) { id status } }`;
const SCOPE = `query S($id: ID!) { node(id: $id) { id ... on Scope { name } } }`;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Starts `SLOW_READS` reads of one session the controller answers slowly; `pending()` counts the unanswered. */
async function slowBurst(s: Stack) {
  const admin = s.emulator.tokens.admin.token;
  const [slow, other] = s.emulator.store.sessions();
  s.emulator.faults.add({ kind: "latency", ms: SLOW_MS, times: SLOW_READS, match: new RegExp(`/v1/sessions/${slow!.id}$`) });
  let answered = 0;
  const reads = Array.from({ length: SLOW_READS }, () =>
    s.gql(READ, { id: slow!.id }, { token: admin }).then((r) => {
      answered++;
      return r;
    }),
  );
  // Until the first slow call reached the controller, the burst holds its slots.
  while (callsTo(s.emulator, "GET", new RegExp(`/v1/sessions/${slow!.id}$`)).length === 0) await new Promise((r) => setTimeout(r, 5));
  return { admin, slow: slow!, other: other!, reads, answered: () => answered };
}

/** Most calls to `path` the emulator had open at once. */
function maxOverlap(s: Stack, path: RegExp): number {
  const calls = callsTo(s.emulator, "GET", path);
  let max = 0;
  for (const c of calls) max = Math.max(max, calls.filter((d) => d.start <= c.start && d.end > c.start).length);
  return max;
}

describe("upstream bulkhead", () => {
  it("answers another session and another endpoint while every slow read of one session is still pending", async () => {
    stack = await startStack({ env: { UPSTREAM_CONNECTIONS: "8", UPSTREAM_MAX_PER_RESOURCE: "2" } });
    const burst = await slowBurst(stack);
    const scopeId = burst.other.scope_id!;

    const other = await stack.gql(READ, { id: burst.other.id }, { token: burst.admin });
    const scope = await stack.gql(SCOPE, { id: scopeId }, { token: burst.admin });
    expect(burst.answered()).toBe(0);
    expect(other.body.data!.session.id).toBe(burst.other.id);
    expect(scope.body.data!.node.id).toBe(scopeId);
    // At most UPSTREAM_MAX_PER_RESOURCE calls of the slow session reached the controller so far.
    expect(callsTo(stack.emulator, "GET", new RegExp(`/v1/sessions/${burst.slow.id}$`)).length).toBe(2);

    const slow = await Promise.all(burst.reads);
    expect(slow.map((r) => r.body.data!.session.id)).toEqual(Array(SLOW_READS).fill(burst.slow.id));
    expect(maxOverlap(stack, new RegExp(`/v1/sessions/${burst.slow.id}$`))).toBe(2);

    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toContain(`boundary_upstream_bulkhead_waits_total{endpoint="GET /v1/sessions/{id}"} ${SLOW_READS - 2}`);
    expect(metrics).toContain(`boundary_upstream_bulkhead_queued{endpoint="GET /v1/sessions/{id}"} 0`);
  });

  it("queues another session behind the slow reads when the compartments are as large as the pool", async () => {
    stack = await startStack({
      env: { UPSTREAM_CONNECTIONS: "8", UPSTREAM_MAX_PER_ROUTE: "8", UPSTREAM_MAX_PER_RESOURCE: "8" },
    });
    const burst = await slowBurst(stack);
    const other = await stack.gql(READ, { id: burst.other.id }, { token: burst.admin });
    expect(other.body.data!.session.id).toBe(burst.other.id);
    // The pool was full of slow calls: the other read got a connection only once one of them had answered.
    const slowPath = new RegExp(`/v1/sessions/${burst.slow.id}$`);
    const otherCall = callsTo(stack.emulator, "GET", new RegExp(`/v1/sessions/${burst.other.id}$`))[0]!;
    expect(callsTo(stack.emulator, "GET", slowPath).filter((c) => c.end > c.start && c.end <= otherCall.start).length).toBeGreaterThan(0);
    await Promise.all(burst.reads);
    expect(maxOverlap(stack, slowPath)).toBe(SLOW_READS);
  });
});
