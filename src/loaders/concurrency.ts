/**
 * How a request's loaders share the controller: one concurrency cap for all of them, and a batch read
 * as concurrent single reads (the controller has no read-by-ids endpoint). Knows nothing of what is
 * read, so it serves any loader over the boundary client.
 */

/** Runs tasks with at most `max` of them pending at once; the others wait in arrival order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(max: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake it.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/**
 * The controller has no read-by-ids endpoint, so a batch becomes concurrent single reads, at most
 * `concurrency` at a time. Results come back in key order, an Error in the slot of each failed key.
 */
export async function readEach<K, T>(ids: readonly K[], read: (id: K) => Promise<T>, concurrency: number): Promise<(T | Error)[]> {
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
