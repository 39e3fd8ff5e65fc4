/**
 * `sessionUpdated`: one read of the session per interval. Tells the session when its version
 * changes (the first read counts as a change), and ends every subscription once it is terminated.
 */
import type { BoundaryClient } from "../boundary/client.js";
import type { WireSession } from "../boundary/wire.js";
import { isTerminated, mergeSnapshots, stamp, type SessionEvent, type SessionSnapshot } from "./events.js";
import { Poller, type PollerDeps } from "./poller.js";
import type { EventStream } from "./stream.js";

export class SessionPoller extends Poller<SessionSnapshot, undefined> {
  readonly kind = "sessionUpdated";
  private last: SessionEvent | undefined;

  constructor(
    key: string,
    auth: string | undefined,
    intervalMs: number,
    deps: PollerDeps,
    protected readonly client: BoundaryClient,
    private readonly sessionId: string,
  ) {
    super(key, auth, intervalMs, deps);
  }

  protected welcome(stream: EventStream<SessionEvent>): void {
    if (this.last !== undefined) stream.push(this.last);
  }

  protected merge(queued: SessionEvent, next: SessionEvent): SessionEvent | undefined {
    return mergeSnapshots(queued, next);
  }

  protected snapshot(): unknown {
    return this.last?.kind === "session" ? { session: this.last.session } : undefined;
  }

  protected restore(state: unknown): void {
    this.take((state as { session: WireSession }).session);
  }

  protected async poll(client: BoundaryClient): Promise<void> {
    this.take(await client.getSession(this.sessionId, this.auth));
  }

  private take(session: WireSession): void {
    if (this.last?.kind === "session" && stamp(this.last.session) === stamp(session)) return;
    this.last = { kind: "session", session };
    this.changed();
    // A terminated session never changes again: tell it, then complete.
    if (isTerminated(session)) this.stop(this.last);
    else this.broadcast(this.last);
  }
}
