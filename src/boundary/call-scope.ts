/**
 * What the calls made on behalf of one inbound request share: their deadline and a tally. A request's
 * client is bound to its scope (`client.withScope`), so the deadline reaches every upstream call
 * (loaders, nested resolvers) without threading it through each signature. Not AsyncLocalStorage: on
 * Node 20 it puts a hook on every promise of the process, which a GraphQL server makes many of.
 */
import { setMaxListeners } from "node:events";

export interface CallScope {
  /** Aborts when the inbound request's overall deadline passes. */
  readonly signal?: AbortSignal;
  /** Epoch ms at which `signal` aborts (for deciding whether a retry still fits). */
  readonly deadline?: number;
  /** Upstream calls made so far (attempts, retries included). */
  calls: number;
}

/** A scope whose calls must all end within `timeoutMs` (and when `parent` aborts, if given). Call
 * `end()` when the work is over: it clears the timer, so no timer outlives its request. */
export function createCallScope(timeoutMs: number, parent?: AbortSignal): CallScope & { end(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("the request's deadline passed", "TimeoutError")), timeoutMs);
  timer.unref();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  // Every concurrent upstream call of the scope listens on this one signal: dozens is normal, not a leak.
  setMaxListeners(0, signal);
  return { signal, deadline: Date.now() + timeoutMs, calls: 0, end: () => clearTimeout(timer) };
}
