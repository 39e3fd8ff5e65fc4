/**
 * One poller per subscription key across processes (REDIS_URL; docs/scaling.md). The live layer only
 * knows this interface; the Redis implementation lives in src/shared/live-sharing.ts and is injected,
 * so src/live loads no Redis client.
 *
 * Each process with subscribers for a key holds a link. The link claims the key before each poll, and a
 * follower every `followEveryMs`: the process that holds (or takes) the lease polls and stores what it
 * found with a sequence number; the others follow, adopting the leader's state from its messages (or
 * from the stored copy, should a message be lost). A follower that takes the lease polls at once. When
 * Redis cannot be used the claim answers "local" and the process polls for itself, exactly as without
 * REDIS_URL.
 */

/** The state a poller needs to continue polling, as one process shares it with the others. */
export interface SharedState {
  /** Increases with each event the leader told: a follower adopts only a higher one. */
  seq: number;
  state: unknown;
}

export interface Claim {
  /** lead: poll and store; follow: another process polls; local: Redis unusable, poll for yourself. */
  role: "lead" | "follow" | "local";
  /** The stored sequence number (0: none). */
  seq: number;
  /** The stored state, when asked for or newer than the caller's. */
  stored?: SharedState;
}

export interface SharedLink {
  /** Takes or renews the lease, or finds another holder. Never throws: Redis trouble is "local". */
  claim(knownSeq: number, wantState: boolean): Promise<Claim>;
  /** Stores the leader's state and, when `announce`, publishes it; false when the lease was lost or Redis failed. */
  store(shared: SharedState, announce: boolean): Promise<"stored" | "lost" | "failed">;
  /** Messages of the current leader, the caller's own included (it skips them by sequence number). */
  listen(onState: (shared: SharedState) => void): void;
  /** Gives the lease up (only if still held) and stops listening. */
  release(): void;
  /** How long a follower waits between claims. With the lease's length it bounds how long a key goes
   * unpolled after its leader died (the implementation says how). */
  readonly followEveryMs: number;
}

export interface LiveSharing {
  /** A link for one poller. `parts` names the key without the token; the token only feeds a keyed hash. */
  link(auth: string | undefined, parts: readonly unknown[], intervalMs: number): SharedLink;
}
