/**
 * What every attack regression test asserts of the gateway during and after an attack: another client's
 * `{ __typename }` and `session(id)` answer promptly and correctly, and `/readyz` tells the truth.
 * "Promptly" is a generous bound (a hung gateway never answers; a slow CI machine still does), so
 * these checks fail on a wedged or blocked gateway, not on a busy one.
 */
import { expect } from "vitest";
import type { Emulator } from "../../src/emulator/types.js";

export interface ResponsiveOptions {
  /** Most milliseconds each probe may take. Default 3000. */
  withinMs?: number;
  /** What `/readyz` must answer. Default 200 (the controller is up). */
  readyStatus?: number;
}

/** POST a GraphQL operation with a deadline; rejects (fails the test) if none arrives in time. */
async function post(url: string, body: unknown, token: string | undefined, withinMs: number) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(withinMs) });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, any> | null; errors?: unknown[] } };
}

/**
 * Asserts that the gateway at `gatewayUrl` still serves another client: `{ __typename }`, a
 * `session(id)` read with the emulator's admin token (the session's id comes back), and `/readyz`.
 */
export async function expectResponsive(gatewayUrl: string, emulator: Emulator, options: ResponsiveOptions = {}): Promise<void> {
  const withinMs = options.withinMs ?? 3_000;
  const started = performance.now();
  const typename = await post(gatewayUrl, { query: "{ __typename }" }, undefined, withinMs);
  expect(typename.status).toBe(200);
  expect(typename.body.data).toEqual({ __typename: "Query" });

  const id = emulator.store.sessions()[0]!.id;
  const read = await post(
    gatewayUrl,
    { query: "query($id: ID!) { session(id: $id) { id } }", variables: { id } },
    emulator.tokens.admin.token,
    withinMs,
  );
  expect(read.status).toBe(200);
  expect(read.body.errors).toBeUndefined();
  expect(read.body.data).toEqual({ session: { id } });

  const ready = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(withinMs) });
  expect(ready.status).toBe(options.readyStatus ?? 200);
  await ready.body?.cancel();
  // One bound for all three: a gateway that answers each just in time is not responsive either.
  expect(performance.now() - started).toBeLessThan(3 * withinMs);
}
