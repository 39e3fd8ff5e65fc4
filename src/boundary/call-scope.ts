/**
 * What the calls made on behalf of one inbound request share: their deadline and a tally. A request's
 * client is bound to its scope (`client.withScope`), so the deadline reaches every upstream call
 * (loaders, nested resolvers) without threading it through each signature. Not AsyncLocalStorage: on
 * Node 20 it puts a hook on every promise of the process, which a GraphQL server makes many of.
 */
import { setMaxListeners } from "node:events";
import type { UpstreamTrace } from "./upstream-trace.js";

export interface CallScope {
  /** Aborts when the inbound request's overall deadline passes. */
  readonly signal?: AbortSignal;
  /** Epoch ms at which `signal` aborts (for deciding whether a retry still fits). */
  readonly deadline?: number;
  /** Upstream calls made so far (attempts, retries included). */
  calls: number;
  /** Whose calls these are, for the list budget: a live poller's yield first. Default "query". */
  readonly lane?: "query" | "poll";
  /** The inbound request's id (x-request-id), for its log lines and error extensions. */
  requestId?: string;
  /** Spans for this scope's upstream calls; set only when tracing is on (src/tracing.ts). */
  trace?: UpstreamTrace;
}

/** Signals of the deadlines now pending, by the epoch ms at which they abort. */
const slots = new Map<number, AbortSignal>();

/**
 * A scope whose calls must all end within `timeoutMs` (and when `parent` aborts, if given). Call
 * `end()` when the work is over.
 *
 * Without a parent, scopes whose deadlines fall in the same slot share one signal and one timer: an
 * AbortController, a timer and the signal's listener bookkeeping per inbound request cost about as much
 * as executing a whole read, and a signal that aborts on time alone carries nothing of any caller. A slot
 * is 1/20 of the timeout (at most 50 ms), so a deadline may pass up to that much late; the deadline a
 * scope reports is the slot's, the moment its signal aborts.
 */
export function createCallScope(timeoutMs: number, parent?: AbortSignal, lane?: "query" | "poll"): CallScope & { end(): void } {
  if (parent) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(deadlineReason()), timeoutMs);
    timer.unref();
    const signal = AbortSignal.any([parent, controller.signal]);
    // Every concurrent upstream call of the scope listens on this one signal: dozens is normal, not a leak.
    setMaxListeners(0, signal);
    return { signal, deadline: Date.now() + timeoutMs, calls: 0, lane, end: () => clearTimeout(timer) };
  }
  const grain = Math.max(1, Math.min(50, Math.floor(timeoutMs / 20)));
  const now = Date.now();
  const deadline = Math.ceil((now + timeoutMs) / grain) * grain;
  let signal = slots.get(deadline);
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    // Every upstream call in flight for the slot's requests listens on it.
    setMaxListeners(0, signal);
    slots.set(deadline, signal);
    const timer = setTimeout(() => {
      slots.delete(deadline);
      controller.abort(deadlineReason());
    }, deadline - now);
    timer.unref();
  }
  return { signal, deadline, calls: 0, end: () => {} };
}

function deadlineReason(): DOMException {
  return new DOMException("the request's deadline passed", "TimeoutError");
}
