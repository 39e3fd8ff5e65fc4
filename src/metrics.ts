/**
 * Prometheus metrics (prom-client), one registry per gateway instance so several gateways in one
 * process (tests) never share counters. Served on GET /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { UpstreamCall } from "./boundary/client.js";
import type { ListBudget } from "./boundary/list-budget.js";

export interface GatewayMetrics {
  readonly registry: Registry;
  observeUpstream(call: UpstreamCall): void;
  observeBatch(loader: string, size: number): void;
  /** A call waited for a bulkhead slot of its route template (`UPSTREAM_MAX_PER_ROUTE`/`_PER_RESOURCE`). */
  observeBulkheadWait(endpoint: string): void;
  /** Calls now waiting for a slot of that route template. */
  observeBulkheadQueued(endpoint: string, queued: number): void;
  /** Expose admission's in-flight cost and queue per lane on every scrape. */
  watchAdmission(state: () => { inflight: Readonly<Record<string, number>>; queued: Readonly<Record<string, number>> }): void;
  observeAdmissionWait(lane: string, seconds: number, admitted: boolean): void;
  /** A refusal by a guard: OVERLOADED or RATE_LIMITED. */
  countRefusal(code: "OVERLOADED" | "RATE_LIMITED"): void;
  /** Expose the list budget's use (boundary_list_budget_*) on every scrape. */
  watchListBudget(budget: ListBudget): void;
  /** Expose whether Redis (REDIS_URL) is in use (gateway_redis_up) on every scrape. */
  watchRedis(up: () => boolean): void;
  observeRequest(
    operation: string | undefined,
    outcome: RequestOutcome,
    seconds: number,
    errorCodes: readonly string[],
    lane?: RequestLane,
  ): void;
}

/** Which path answered a request: the fast lane (src/transport/fast-path.ts), the fast lane with a whole
 * listing run and written page by page (src/execution/paged.ts), or Apollo Server's pipeline. */
export type RequestLane = "fast" | "paged" | "apollo";

/** success: no errors; partial: some data and errors; error: errors and no root field with data. */
export type RequestOutcome = "success" | "partial" | "error";

/** Operation names come from clients: past this many distinct ones, further names count as "other". */
const MAX_OPERATION_NAMES = 200;
/** A GraphQL name of at most 64 characters. Anything else (a 900 KB name, bytes Prometheus would have
 * to escape) counts as "other": labels are kept in memory and sent on every scrape. */
const LABEL_NAME = /^[_A-Za-z]\w{0,63}$/;

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "graphql_requests_total",
    help: "GraphQL requests by operation name and outcome (success, partial, error).",
    labelNames: ["operation", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "graphql_request_duration_seconds",
    help: "Time from receiving a GraphQL request to sending its response.",
    labelNames: ["operation"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: "graphql_errors_total",
    help: "Errors returned to clients, by extensions.code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const upstream = new Counter({
    name: "boundary_upstream_requests_total",
    help: "Calls to the Boundary controller (each attempt) by endpoint and HTTP status (0 = no response).",
    labelNames: ["endpoint", "status"] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: "boundary_upstream_request_duration_seconds",
    help: "Duration of calls to the Boundary controller, by endpoint.",
    labelNames: ["endpoint"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batches = new Histogram({
    name: "graphql_loader_batch_size",
    help: "Keys per DataLoader batch, by loader.",
    labelNames: ["loader"] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  // Labelled by route template only: a closed set the client names, never ids or tokens.
  const bulkheadWaits = new Counter({
    name: "boundary_upstream_bulkhead_waits_total",
    help: "Upstream calls that waited for a slot of their route or resource compartment.",
    labelNames: ["endpoint"] as const,
    registers: [registry],
  });
  const bulkheadQueued = new Gauge({
    name: "boundary_upstream_bulkhead_queued",
    help: "Upstream calls waiting for a slot of their route or resource compartment.",
    labelNames: ["endpoint"] as const,
    registers: [registry],
  });
  const lanes = new Counter({
    name: "graphql_request_lane_total",
    help: "GraphQL requests by the path that answered them: fast (the gateway's fast lane), paged (the fast lane, a whole listing written page by page) or apollo (Apollo Server's pipeline).",
    labelNames: ["lane"] as const,
    registers: [registry],
  });
  const laneChildren = { fast: lanes.labels("fast"), paged: lanes.labels("paged"), apollo: lanes.labels("apollo") };
  const requestChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  const upstreamChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  const names = new Set<string>();
  const operationLabel = (name: string | undefined): string => {
    if (!name) return "anonymous";
    if (names.has(name)) return name;
    if (!LABEL_NAME.test(name)) return "other";
    if (names.size >= MAX_OPERATION_NAMES) return "other";
    names.add(name);
    return name;
  };

  const admissionWait = new Histogram({
    name: "gateway_admission_wait_seconds",
    help: "Time operations waited in an admission queue, by lane and whether they were admitted.",
    labelNames: ["lane", "admitted"],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const refusals = new Counter({
    name: "gateway_guard_refusals_total",
    help: "Operations refused by a guard before running: OVERLOADED (admission) or RATE_LIMITED (per-token rate).",
    labelNames: ["code"],
    registers: [registry],
  });
  return {
    registry,
    observeUpstream(call) {
      // Labelled children are looked up once per endpoint and status, not built per call.
      const key = `${call.endpoint} ${call.status}`;
      let children = upstreamChildren.get(key);
      if (!children) {
        children = { count: upstream.labels(call.endpoint, String(call.status)), duration: upstreamDuration.labels(call.endpoint) };
        upstreamChildren.set(key, children);
      }
      children.count.inc();
      children.duration.observe(call.durationMs / 1000);
    },
    observeBulkheadWait(endpoint) {
      bulkheadWaits.inc({ endpoint });
    },
    observeBulkheadQueued(endpoint, queued) {
      bulkheadQueued.set({ endpoint }, queued);
    },
    observeBatch(loader, size) {
      batches.observe({ loader }, size);
    },
    watchAdmission(state) {
      new Gauge({
        name: "gateway_admission_inflight_cost",
        help: "Estimated cost of the operations running, per admission lane (MAX_INFLIGHT_COST).",
        labelNames: ["lane"],
        registers: [registry],
        collect() {
          for (const [lane, cost] of Object.entries(state().inflight)) this.set({ lane }, cost);
        },
      });
      new Gauge({
        name: "gateway_admission_queue_length",
        help: "Operations waiting for admission, per lane.",
        labelNames: ["lane"],
        registers: [registry],
        collect() {
          for (const [lane, n] of Object.entries(state().queued)) this.set({ lane }, n);
        },
      });
    },
    observeAdmissionWait(lane, seconds, admitted) {
      admissionWait.observe({ lane, admitted: String(admitted) }, seconds);
    },
    countRefusal(code) {
      refusals.inc({ code });
    },
    watchListBudget(budget) {
      new Gauge({
        name: "boundary_list_budget_used",
        help: "List calls to the controller taken in the current 30 s window of UPSTREAM_LIST_BUDGET.",
        registers: [registry],
        collect() {
          this.set(budget.state().used);
        },
      });
      new Gauge({
        name: "boundary_list_budget_limit",
        help: "List calls to the controller allowed per 30 s window (UPSTREAM_LIST_BUDGET).",
        registers: [registry],
        collect() {
          this.set(budget.state().points);
        },
      });
      // A gauge over a counter kept by the budget: its value only grows, like a counter's.
      new Gauge({
        name: "boundary_list_budget_refused_total",
        help: "List calls the gateway held back because its list budget was spent, by lane (query, poll).",
        labelNames: ["lane"] as const,
        registers: [registry],
        collect() {
          const { refused } = budget.state();
          this.set({ lane: "query" }, refused.query);
          this.set({ lane: "poll" }, refused.poll);
        },
      });
    },
    watchRedis(up) {
      new Gauge({
        name: "gateway_redis_up",
        help: "1 while shared state lives in Redis (REDIS_URL), 0 while this process falls back to its own.",
        registers: [registry],
        collect() {
          this.set(up() ? 1 : 0);
        },
      });
    },
    observeRequest(operation, outcome, seconds, errorCodes, lane = "apollo") {
      laneChildren[lane].inc();
      const label = operationLabel(operation);
      // Children looked up once per operation name and outcome (at most 201 x 3), not hashed per request.
      const key = `${label}\u0000${outcome}`;
      let children = requestChildren.get(key);
      if (!children) {
        children = { count: requests.labels(label, outcome), duration: duration.labels(label) };
        requestChildren.set(key, children);
      }
      children.count.inc();
      children.duration.observe(seconds);
      for (const code of errorCodes) errors.inc({ code });
    },
  };
}
