/**
 * One subscriber's event queue, as the async iterator GraphQL's subscription machinery consumes.
 *
 * Hand-written rather than an async generator: a generator's `return()` waits behind a pending
 * `next()`, so a client that unsubscribes between two events (possibly minutes apart when nothing
 * changes) would stay attached to its poller until the next event. Here `return()` detaches at once.
 */

export interface EventStreamOptions<T> {
  /** Called once when the consumer stops (unsubscribe, socket closed); must be idempotent with the
   * producer's own clean-up. */
  onReturn: () => void;
  /** Folds an event into the last queued one for a slow consumer; undefined keeps both. Keeps the
   * queue bounded when a socket drains slower than events arrive. */
  merge?: (queued: T, next: T) => T | undefined;
}

export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  /** The producer will push nothing more; the queue still drains. */
  private ended = false;
  /** The consumer left; nothing more is delivered. */
  private returned = false;

  constructor(private readonly options: EventStreamOptions<T>) {}

  /** Whether the stream still accepts events. */
  get open(): boolean {
    return !this.ended && !this.returned;
  }

  push(event: T): void {
    if (!this.open) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1] : undefined;
    const merged = last !== undefined && this.options.merge ? this.options.merge(last, event) : undefined;
    if (merged !== undefined) this.queue[this.queue.length - 1] = merged;
    else this.queue.push(event);
  }

  /** No more events: the consumer gets what is queued, then completion. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.queue.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (!this.open) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.returned) {
      this.returned = true;
      this.queue.length = 0;
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve({ value: undefined, done: true });
      }
      this.options.onReturn();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
