/**
 * Call scopes: the deadline every upstream call of one inbound request shares. Without a parent,
 * scopes whose deadlines fall in one slot share a signal and a timer (src/boundary/call-scope.ts).
 */
import { describe, expect, it } from "vitest";
import { createCallScope } from "../../src/boundary/call-scope.js";

describe("createCallScope", () => {
  it("aborts at the deadline it reports, at most a twentieth of the timeout late", async () => {
    const started = Date.now();
    const scope = createCallScope(200);
    expect(scope.deadline! - started).toBeGreaterThanOrEqual(200);
    expect(scope.deadline! - started).toBeLessThanOrEqual(200 + 10 + 1);
    expect(scope.signal!.aborted).toBe(false);
    const reason = await new Promise<unknown>((resolve) => scope.signal!.addEventListener("abort", () => resolve(scope.signal!.reason)));
    expect(Date.now()).toBeGreaterThanOrEqual(scope.deadline!);
    expect((reason as DOMException).name).toBe("TimeoutError");
  });

  it("shares one signal between scopes of the same slot, and not across slots", async () => {
    const a = createCallScope(60_000);
    const b = createCallScope(60_000);
    // 50 ms slots: two scopes made in the same millisecond-range land in one unless a slot edge passed.
    if (a.deadline === b.deadline) expect(b.signal).toBe(a.signal);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const c = createCallScope(60_000);
    expect(c.deadline).toBeGreaterThan(a.deadline!);
    expect(c.signal).not.toBe(a.signal);
    // Many scopes, few signals: one per slot.
    const signals = new Set(Array.from({ length: 1000 }, () => createCallScope(60_000).signal));
    expect(signals.size).toBeLessThan(50);
  });

  it("with a parent, aborts when the parent does, each scope on its own", () => {
    const parent = new AbortController();
    const a = createCallScope(60_000, parent.signal);
    const b = createCallScope(60_000, parent.signal);
    expect(a.signal).not.toBe(b.signal);
    parent.abort(new Error("stream closed"));
    expect(a.signal!.aborted).toBe(true);
    expect(b.signal!.aborted).toBe(true);
    a.end();
    b.end();
  });
});
