/**
 * What the calls made on behalf of one inbound request share: their deadline and a tally. Carried by
 * AsyncLocalStorage, so the deadline reaches every upstream call (loaders, nested resolvers) without
 * threading a signal through each signature.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setMaxListeners } from "node:events";

export interface CallScope {
  /** Aborts when the inbound request's overall deadline passes. */
  readonly signal?: AbortSignal;
  /** Epoch ms at which `signal` aborts (for deciding whether a retry still fits). */
  readonly deadline?: number;
  /** Upstream calls made so far (attempts, retries included). */
  calls: number;
}

const storage = new AsyncLocalStorage<CallScope>();

export function withCallScope<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}

/** A scope whose calls must all end within `timeoutMs` (and when `parent` aborts, if given). */
export function createCallScope(timeoutMs: number, parent?: AbortSignal): CallScope {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = parent ? AbortSignal.any([parent, deadline]) : deadline;
  // Every concurrent upstream call of the scope listens on this one signal: dozens is normal, not a leak.
  setMaxListeners(0, signal);
  return { signal, deadline: Date.now() + timeoutMs, calls: 0 };
}
