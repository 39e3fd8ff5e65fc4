/**
 * What the calls made on behalf of one inbound request share: their deadline and a tally. Carried by
 * AsyncLocalStorage, so the deadline reaches every upstream call (loaders, nested resolvers) without
 * threading a signal through each signature.
 */
import { AsyncLocalStorage } from "node:async_hooks";

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
