/**
 * Per-request DataLoaders, bound to the caller's Authorization value. Built in the context factory for
 * each GraphQL request and dropped with it: a loader's cache is keyed by id only, so sharing one across
 * requests would serve one caller's data to another.
 */
import DataLoader from "dataloader";
import type { BoundaryClient } from "../boundary/client.js";
import type { WireScope, WireSession } from "../boundary/wire.js";

export interface Loaders {
  /** Full scopes (`GET /v1/scopes/{id}`). */
  scope: DataLoader<string, WireScope>;
  /** Full sessions (`GET /v1/sessions/{id}`, with connections). */
  session: DataLoader<string, WireSession>;
}

export interface LoaderOptions {
  /** Most upstream reads one batch keeps in flight. Default 16. */
  concurrency?: number;
}

export function createLoaders(client: BoundaryClient, auth: string | undefined, options: LoaderOptions = {}): Loaders {
  const concurrency = options.concurrency ?? 16;
  return {
    scope: new DataLoader((ids) => readEach(ids, (id) => client.getScope(id, auth), concurrency)),
    session: new DataLoader((ids) => readEach(ids, (id) => client.getSession(id, auth), concurrency)),
  };
}

/**
 * The controller has no read-by-ids endpoint, so a batch becomes concurrent single reads, at most
 * `concurrency` at a time. Results come back in key order, an Error in the slot of each failed key.
 */
export async function readEach<T>(
  ids: readonly string[],
  read: (id: string) => Promise<T>,
  concurrency: number,
): Promise<(T | Error)[]> {
  const results = new Array<T | Error>(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      try {
        results[i] = await read(ids[i]!);
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return results;
}
