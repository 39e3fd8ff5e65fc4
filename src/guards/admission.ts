/**
 * Admission by cost: every operation's estimated cost (src/graphql/cost.ts, about one unit per
 * upstream read) is charged against a process-wide in-flight budget before anything runs, and given
 * back by the hook's `after`, once the answer has been written out (its bytes are memory too until the
 * client has them) or the client has gone. A subscription waits for admission like any
 * operation (so an overloaded gateway refuses it with OVERLOADED) but gives its cost back at once: held
 * for its life, a few hundred open subscriptions would shut every query out for as long as they stay
 * open, while their per-event work is already bounded by MAX_POLLERS and MAX_POLLERS_PER_TOKEN.
 *
 * Two lanes: operations at or below `cheapCost` (a `session(id)` with its scope and neighbours) have a
 * budget of their own (ten times the heavy one), so they never queue behind whole listings. An operation that does not fit
 * waits in its lane's FIFO queue for at most `timeoutMs`, then is refused with OVERLOADED (HTTP 503,
 * Retry-After) before any upstream call. While others wait, one token may hold at most half of the
 * heavy budget. An operation costlier than the whole budget is admitted when nothing else runs in its
 * lane, so MAX_COST and MAX_INFLIGHT_COST can be set independently.
 */
import { GraphQLError } from "graphql";
import type { OperationRequest, RequestHook } from "../execution/index.js";
import { GatewayErrorCode } from "../graphql/errors.js";
import { tokenKey } from "./token-key.js";

export interface AdmissionOptions {
  /** Most estimated cost running at once in the heavy lane (MAX_INFLIGHT_COST). */
  readonly maxInflightCost: number;
  /** Operations at or below this cost use the cheap lane (ADMISSION_CHEAP_COST). */
  readonly cheapCost: number;
  /** Longest wait in a queue before OVERLOADED (ADMISSION_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Told of every wait that ended (admitted or not), in seconds. */
  readonly onWait?: (lane: LaneName, seconds: number, admitted: boolean) => void;
}

export type LaneName = "cheap" | "heavy";

export interface AdmissionState {
  readonly inflight: Readonly<Record<LaneName, number>>;
  readonly queued: Readonly<Record<LaneName, number>>;
}

export interface AdmissionHook extends RequestHook {
  state(): AdmissionState;
}

interface Waiter {
  readonly key: string;
  readonly cost: number;
  readonly admit: () => void;
}

interface Lease {
  readonly lane: Lane;
  readonly key: string;
  readonly cost: number;
}

class Lane {
  inflight = 0;
  readonly queue: Waiter[] = [];
  private readonly held = new Map<string, number>();

  constructor(
    readonly name: LaneName,
    private readonly budget: number,
    /** Whether one token is held to half of the budget while others wait. */
    private readonly fairShare: boolean,
  ) {}

  private fits(key: string, cost: number, waitingOthers: boolean): boolean {
    if (this.inflight === 0) return true;
    if (this.inflight + cost > this.budget) return false;
    if (this.fairShare && waitingOthers && (this.held.get(key) ?? 0) + cost > this.budget / 2) return false;
    return true;
  }

  private othersWaiting(key: string): boolean {
    return this.queue.some((w) => w.key !== key);
  }

  tryTake(key: string, cost: number): boolean {
    // FIFO: a newcomer never overtakes those already waiting.
    if (this.queue.length > 0 || !this.fits(key, cost, false)) return false;
    this.take(key, cost);
    return true;
  }

  private take(key: string, cost: number): void {
    this.inflight += cost;
    this.held.set(key, (this.held.get(key) ?? 0) + cost);
  }

  release(key: string, cost: number): void {
    this.inflight -= cost;
    const left = (this.held.get(key) ?? 0) - cost;
    if (left > 0) this.held.set(key, left);
    else this.held.delete(key);
    this.drain();
  }

  /** Admits waiters in order; one held back only by the per-token share lets the next ones pass. */
  drain(): void {
    for (let i = 0; i < this.queue.length;) {
      const w = this.queue[i]!;
      const withinBudget = this.inflight === 0 || this.inflight + w.cost <= this.budget;
      if (!withinBudget) return;
      if (!this.fits(w.key, w.cost, this.othersWaiting(w.key))) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.take(w.key, w.cost);
      w.admit();
    }
  }
}

export function createAdmissionHook(options: AdmissionOptions): AdmissionHook {
  const lanes: Record<LaneName, Lane> = {
    // Cheap operations hold little memory and few reads each: ten times the budget keeps them from
    // queueing at all under ordinary load while still bounding a flood of them.
    cheap: new Lane("cheap", options.maxInflightCost * 10, false),
    heavy: new Lane("heavy", options.maxInflightCost, true),
  };
  const leases = new WeakMap<OperationRequest, Lease>();
  const retryAfter = Math.max(1, Math.ceil(options.timeoutMs / 1000));

  const overloaded = () =>
    new GraphQLError("The gateway is busy with other work; retry after `retryAfter` seconds.", {
      extensions: {
        code: GatewayErrorCode.OVERLOADED,
        retryAfter,
        http: { status: 503, headers: new Map([["retry-after", String(retryAfter)]]) },
      },
    });

  return {
    name: "admission",
    before(request) {
      const lane = request.cost <= options.cheapCost ? lanes.cheap : lanes.heavy;
      const key = tokenKey(request.headers);
      const cost = request.cost;
      const held = request.operationType !== "subscription";
      const admitted = () => {
        if (held) leases.set(request, { lane, key, cost });
        else lane.release(key, cost);
      };
      if (lane.tryTake(key, cost)) {
        admitted();
        return;
      }
      const started = performance.now();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          key,
          cost,
          admit: () => {
            clearTimeout(timer);
            admitted();
            options.onWait?.(lane.name, (performance.now() - started) / 1000, true);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          const at = lane.queue.indexOf(waiter);
          if (at >= 0) lane.queue.splice(at, 1);
          options.onWait?.(lane.name, (performance.now() - started) / 1000, false);
          // Whoever waited behind this one may fit now.
          lane.drain();
          reject(overloaded());
        }, options.timeoutMs);
        timer.unref();
        lane.queue.push(waiter);
        lane.drain();
      });
    },
    after(request) {
      const lease = leases.get(request);
      if (!lease) return;
      leases.delete(request);
      lease.lane.release(lease.key, lease.cost);
    },
    state() {
      return {
        inflight: { cheap: lanes.cheap.inflight, heavy: lanes.heavy.inflight },
        queued: { cheap: lanes.cheap.queue.length, heavy: lanes.heavy.queue.length },
      };
    },
  };
}
