/**
 * Compartments in front of the one upstream pool. Without them a burst of slow calls on one resource fills
 * every pooled connection and every other call queues behind it, whatever it asks for. A call takes a slot
 * of its route template (`GET /v1/sessions/{id}`) and of its resource (template + id); both caps sit below
 * the pool size, so some connections always stay free for other routes and other resources. Waiters queue
 * FIFO per route and leave the queue when their signal aborts.
 */

export interface BulkheadOptions {
  /** Most calls of one route template in flight. */
  perRoute: number;
  /** Most calls of one resource (route template + id) in flight. */
  perResource: number;
  /** Told when a call has to wait, and when the number of waiting calls changes. */
  onWait?: (route: string) => void;
  onQueued?: (route: string, queued: number) => void;
}

interface Waiter {
  resource: string;
  grant: () => void;
}

export interface Bulkhead {
  /** Resolves with the release function once both slots are held; rejects with the signal's reason. */
  acquire(route: string, resource: string, signal: AbortSignal | undefined): Promise<() => void>;
  /** Calls waiting for a slot, all routes together. */
  waiting(): number;
}

export function createBulkhead(options: BulkheadOptions): Bulkhead {
  const routes = new Map<string, number>();
  const resources = new Map<string, number>();
  const queues = new Map<string, Waiter[]>();

  const fits = (route: string, resource: string) =>
    (routes.get(route) ?? 0) < options.perRoute && (resources.get(resource) ?? 0) < options.perResource;

  function take(route: string, resource: string): () => void {
    routes.set(route, (routes.get(route) ?? 0) + 1);
    resources.set(resource, (resources.get(resource) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const r = (routes.get(route) ?? 1) - 1;
      if (r === 0) routes.delete(route);
      else routes.set(route, r);
      const s = (resources.get(resource) ?? 1) - 1;
      if (s === 0) resources.delete(resource);
      else resources.set(resource, s);
      drain(route);
    };
  }

  /** Grants the oldest waiters that fit; a waiter held back by its resource does not block another
   * resource's waiter behind it (that would let one slow resource starve its whole route again). */
  function drain(route: string): void {
    const queue = queues.get(route);
    if (!queue) return;
    for (let i = 0; i < queue.length && (routes.get(route) ?? 0) < options.perRoute;) {
      const w = queue[i]!;
      if ((resources.get(w.resource) ?? 0) < options.perResource) {
        queue.splice(i, 1);
        w.grant();
      } else i++;
    }
    if (queue.length === 0) queues.delete(route);
    options.onQueued?.(route, queue.length);
  }

  return {
    waiting() {
      let n = 0;
      for (const queue of queues.values()) n += queue.length;
      return n;
    },
    acquire(route, resource, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // A queued waiter that fits would already hold its slots (every release drains), so one that fits now
      // jumps no one of its own resource.
      if (fits(route, resource)) return Promise.resolve(take(route, resource));
      options.onWait?.(route);
      return new Promise((resolve, reject) => {
        const queue = queues.get(route) ?? [];
        queues.set(route, queue);
        const onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          if (queue.length === 0 && queues.get(route) === queue) queues.delete(route);
          options.onQueued?.(route, queue.length);
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          resource,
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve(take(route, resource));
          },
        };
        queue.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
        options.onQueued?.(route, queue.length);
      });
    },
  };
}
