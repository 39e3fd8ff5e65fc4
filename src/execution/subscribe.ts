/**
 * Subscription execution: graphql-js's `subscribe`, except that each event runs with a context of its
 * own (src/execution/context.ts `again`) under a deadline, whose loaders are made for that event:
 * neighbours (`Session.user`, `scope.parent`, …) are read per event and nothing is cached from one event
 * to the next. Subscribers of one poller receive the same event object, so they share that event's
 * loaders, and those that sent the same operation share one execution of it.
 */
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";
import { createCallScope } from "../boundary/call-scope.js";
import type { GatewayContext } from "../graphql/context.js";
import type { Loaders } from "../graphql/loaders/index.js";
import type { ContextBuilder } from "./context.js";

export interface SubscriptionExecutorOptions {
  context: ContextBuilder;
  /** Deadline of one event's execution (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Told of every event execution (metrics). */
  onExecution?: () => void;
}

export type SubscribeFn = (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;

export function createSubscriptionExecutor(options: SubscriptionExecutorOptions): SubscribeFn {
  /** One set of loaders per event (per event object: per poller and view), so its subscribers share it. */
  const eventLoaders = new WeakMap<object, { auth: string | undefined; loaders: Loaders }>();
  /** One execution per event and distinct operation (document text, operation name, variables). */
  const eventResults = new WeakMap<object, { auth: string | undefined; results: Map<string, Promise<ExecutionResult>> }>();

  return async (args) => {
    const base = args.contextValue as GatewayContext;
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const source = stream[Symbol.asyncIterator]();
    const text = args.document.loc?.source.body;
    const operationKey = text === undefined ? undefined : JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null]);
    const executeEvent = (event: unknown): Promise<ExecutionResult> => {
      options.onExecution?.();
      const callScope = createCallScope(options.requestTimeoutMs);
      // The operation's id (its context's scope has it). An execution shared by identical operations
      // runs under the first one's; each subscriber's errors still get its own id when they are formatted.
      callScope.requestId = base.callScope?.requestId;
      const share = (make: () => Loaders): Loaders => {
        if (typeof event !== "object" || event === null) return make();
        const cached = eventLoaders.get(event);
        // Pollers are per token, so an event never reaches two tokens; checked all the same.
        if (cached && cached.auth === base.auth) return cached.loaders;
        const loaders = make();
        eventLoaders.set(event, { auth: base.auth, loaders });
        return loaders;
      };
      const contextValue = { ...base, ...options.context.again(base, callScope, share) };
      return Promise.resolve(execute({ ...args, rootValue: event, contextValue })).finally(callScope.end);
    };
    const run = (event: unknown): Promise<ExecutionResult> => {
      if (operationKey === undefined || typeof event !== "object" || event === null) return executeEvent(event);
      let shared = eventResults.get(event);
      if (!shared || shared.auth !== base.auth) {
        shared = { auth: base.auth, results: new Map() };
        eventResults.set(event, shared);
      }
      let result = shared.results.get(operationKey);
      if (!result) {
        result = executeEvent(event);
        shared.results.set(operationKey, result);
      }
      return result;
    };
    return mapEvents(source, run);
  };
}

/**
 * Maps source events to execution results. `return()` reaches the source at once (the poller lets go
 * of the subscriber), and a failed execution also releases it before the error goes on.
 */
function mapEvents(source: AsyncIterator<unknown>, run: (event: unknown) => Promise<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const release = async () => {
    await source.return?.();
  };
  const mapped: AsyncGenerator<ExecutionResult> = {
    async next() {
      const item = await source.next();
      if (item.done) return { value: undefined, done: true };
      try {
        return { value: await run(item.value), done: false };
      } catch (err) {
        await release();
        throw err;
      }
    },
    async return() {
      await release();
      return { value: undefined, done: true };
    },
    async throw(err: unknown) {
      await release();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
