/**
 * The emulator's data and its rules: session lifecycle and versions, who may see what, and the JSON
 * each caller gets. HTTP lives in server.ts/handlers.ts; this file knows nothing of requests.
 */
import type { WireConnection, WireScope, WireSession, WireSessionState } from "../boundary/wire.js";
import { Principal, SCOPE_COLLECTIONS, bearerToken, demoGrants, isWellFormedToken } from "./auth.js";
import { ListTokenCodec } from "./listtoken.js";
import type { AuthTokenRec, ConnectionRec, ScopeRec, SessionRec, SessionStatus, StateRec, UserRec, World } from "./model.js";
import { type DeletedId, byCreatedKey, byUpdatedKey, insertSorted, removeSorted } from "./paginate.js";
import { Rng } from "./rand.js";
import { newConnection, pickEndpoint } from "./seed.js";
import { type Clock, US_PER_MS, formatTimestamp } from "./time.js";
import type { DemoToken, DemoTokens, EmulatorStore } from "./types.js";

/** The DB's allowed transitions (`migrations/oss/postgres/24/01_session_valid_state.up.sql`). */
const NEXT: Record<SessionStatus, readonly SessionStatus[]> = {
  pending: ["active", "canceling", "terminated"],
  active: ["canceling", "terminated"],
  canceling: ["terminated"],
  terminated: [],
};

/** Termination reason -> the closed_reason its still-open connections get. */
const CONNECTION_CLOSE: Record<string, string> = {
  canceled: "canceled",
  "timed out": "timed out",
  "network error": "network error",
  "system error": "system error",
  "closed by end-user": "closed by end-user",
  "connection limit": "closed by end-user",
};

export interface StoreOptions {
  cancelDelayMs: number;
}

interface Caller {
  principal: Principal;
  token: AuthTokenRec;
  user: UserRec;
}

export class Store {
  readonly world: World;
  /** Sessions ascending by (created, id) and by (updated, id): list pages walk these backwards. */
  readonly sessionsByCreated: SessionRec[];
  readonly sessionsByUpdated: SessionRec[];
  readonly sessionsById = new Map<string, SessionRec>();
  readonly deletedSessions: DeletedId[] = [];
  /** What Postgres' statistics say the session table holds, when a test sets it (see setSessionEstimate). */
  sessionEstimate: number | undefined;
  /** Child scopes (global never appears in a list), by created and by updated. */
  readonly scopesByCreated: ScopeRec[];
  readonly scopesByUpdated: ScopeRec[];
  readonly listTokens = new ListTokenCodec();
  readonly anonymous: Principal;
  readonly tokens: DemoTokens;

  private readonly callers = new Map<string, Caller>();
  private readonly principalsByUser = new Map<string, Principal>();
  private readonly cancelQueue = new Set<SessionRec>();
  private readonly newIds: Rng;
  private readonly cancelDelayUs: number;
  private roleCounter = 0;

  constructor(
    world: World,
    readonly clock: Clock,
    opts: StoreOptions,
  ) {
    this.world = world;
    this.cancelDelayUs = Math.round(opts.cancelDelayMs * US_PER_MS);
    this.newIds = new Rng(world.sessionIdSeed);
    this.sessionsByCreated = world.sessions;
    for (const s of world.sessions) this.sessionsById.set(s.id, s);
    this.sessionsByUpdated = [...world.sessions].sort((a, b) => byUpdatedKey(a) - byUpdatedKey(b) || (a.id < b.id ? -1 : 1));
    const children = [...world.scopes.values()].filter((s) => s.type !== "global");
    this.scopesByCreated = [...children].sort((a, b) => a.createdUs - b.createdUs || (a.id < b.id ? -1 : 1));
    this.scopesByUpdated = [...children].sort((a, b) => a.updatedUs - b.updatedUs || (a.id < b.id ? -1 : 1));

    const secondOrg = world.scopes.get("global")!.children[1];
    const hidden = new Set<string>(secondOrg ? [secondOrg, ...world.scopes.get(secondOrg)!.children] : []);
    const limitedRead = new Set(world.scopeOrder.filter((id) => !hidden.has(id)));
    this.anonymous = new Principal("u_anon", true, demoGrants("anonymous", limitedRead), ["r_default"]);

    const demo: DemoToken[] = [];
    for (const token of world.authTokens.values()) {
      const user = world.users.get(token.userId)!;
      const principal = new Principal(user.id, false, demoGrants(user.kind, limitedRead), ["r_default", `r_${user.id.slice(2)}`]);
      this.callers.set(token.token, { principal, token, user });
      this.principalsByUser.set(user.id, principal);
      demo.push({
        token: token.token,
        authTokenId: token.id,
        userId: user.id,
        loginName: user.loginName,
        description: describe(user, secondOrg),
      });
    }
    const kindOf = (d: DemoToken) => world.users.get(d.userId)!.kind;
    this.tokens = {
      admin: demo.find((d) => kindOf(d) === "admin")!,
      users: demo.filter((d) => kindOf(d) === "user"),
      scopeLimited: demo.find((d) => kindOf(d) === "limited")!,
    };
  }

  nowUs(): number {
    return this.clock.nowUs();
  }

  /** The caller behind a request: unknown, malformed, expired or missing tokens are `u_anon`. */
  principalFor(authorization: string | undefined, cookie: string | undefined): { principal: Principal; authTokenId?: string } {
    const token = bearerToken(authorization, cookie);
    if (token === undefined || !isWellFormedToken(token)) return { principal: this.anonymous };
    const caller = this.callers.get(token);
    if (!caller || caller.token.expirationUs <= this.nowUs()) return { principal: this.anonymous };
    return { principal: caller.principal, authTokenId: caller.token.id };
  }

  /** Canceling sessions whose termination fell due: applied lazily, at each request and clock.advance. */
  applyDue(): void {
    if (this.cancelQueue.size === 0) return;
    const now = this.nowUs();
    const due = [...this.cancelQueue].filter((s) => s.cancelDueUs! <= now).sort((a, b) => a.cancelDueUs! - b.cancelDueUs!);
    for (const s of due) {
      this.cancelQueue.delete(s);
      if (s.states[0].status === "canceling") this.transition(s, "terminated", s.cancelDueUs!, "canceled");
    }
  }

  // ---- sessions ----

  sessionActions(principal: Principal, s: SessionRec): readonly string[] {
    return principal.idActions("session", s.projectId);
  }

  /** The caller's view of a session, as JSON text. Built from a cached caller-independent prefix. */
  sessionJson(s: SessionRec, actions: readonly string[], withConnections: boolean): string {
    let out = s.json ?? (s.json = this.sessionBaseJson(s));
    if (actions.length > 0) out += `,"authorized_actions":${JSON.stringify(actions)}`;
    if (withConnections && s.connections.length > 0) out += `,"connections":${JSON.stringify(s.connections.map(connectionWire))}`;
    return `${out}}`;
  }

  /**
   * sessionWire's JSON without authorized_actions, connections and the closing brace, written directly:
   * it is built once per session and version, and a cold 1000-item page builds a thousand of them.
   * Parts are joined rather than concatenated so the cached string is flat: a `+=` rope of ~40 pieces
   * kept per session costs about four times the memory of its text.
   */
  private sessionBaseJson(s: SessionRec): string {
    // Ids, enums, endpoints and timestamps are generated here and never need escaping.
    const j: string[] = [`{"id":"${s.id}"`];
    if (s.targetId) j.push(`,"target_id":"${s.targetId}"`);
    j.push(
      `,"scope":`,
      this.scopeInfoJson(s.projectId),
      `,"created_time":"`,
      formatTimestamp(s.createdUs),
      `","updated_time":"`,
      formatTimestamp(s.updatedUs),
      `","version":${s.version}`,
    );
    if (s.targetId) j.push(`,"type":"${s.targetType}"`);
    j.push(`,"expiration_time":"`, formatTimestamp(s.expirationUs), `"`);
    if (s.authTokenId) j.push(`,"auth_token_id":"${s.authTokenId}"`);
    if (s.userId) j.push(`,"user_id":"${s.userId}"`);
    if (s.hostSetId) j.push(`,"host_set_id":"${s.hostSetId}"`);
    if (s.hostId) j.push(`,"host_id":"${s.hostId}"`);
    j.push(`,"scope_id":"${s.projectId}","endpoint":"${s.endpoint}","states":[`);
    for (let i = 0; i < s.states.length; i++) {
      const st = s.states[i];
      j.push(i > 0 ? `,{"status":"` : `{"status":"`, st.status, `","start_time":"`, formatTimestamp(st.startUs));
      j.push(st.endUs !== undefined ? `","end_time":"${formatTimestamp(st.endUs)}"}` : `"}`);
    }
    j.push(`],"status":"`, s.states[0].status, `","certificate":"`, certificate(s.certSeed), `"`);
    // A test may pass any termination reason to store.setStatus.
    if (s.terminationReason) j.push(`,"termination_reason":`, JSON.stringify(s.terminationReason));
    return j.join("");
  }

  private readonly scopeInfoCache = new Map<string, string>();

  private scopeInfoJson(id: string): string {
    let j = this.scopeInfoCache.get(id);
    if (j === undefined) this.scopeInfoCache.set(id, (j = JSON.stringify(this.world.scopes.get(id)!.info)));
    return j;
  }

  /** Field order follows session.proto, as protojson writes it; zero values are left out. */
  sessionWire(s: SessionRec, actions: readonly string[], withConnections: boolean): WireSession {
    const project = this.world.scopes.get(s.projectId)!;
    const w: WireSession = { id: s.id };
    if (s.targetId) w.target_id = s.targetId;
    w.scope = project.info;
    w.created_time = formatTimestamp(s.createdUs);
    w.updated_time = formatTimestamp(s.updatedUs);
    w.version = s.version;
    if (s.targetId) w.type = s.targetType;
    w.expiration_time = formatTimestamp(s.expirationUs);
    if (s.authTokenId) w.auth_token_id = s.authTokenId;
    if (s.userId) w.user_id = s.userId;
    if (s.hostSetId) w.host_set_id = s.hostSetId;
    if (s.hostId) w.host_id = s.hostId;
    w.scope_id = s.projectId;
    w.endpoint = s.endpoint;
    w.states = s.states.map(stateWire);
    w.status = s.states[0].status;
    w.certificate = certificate(s.certSeed);
    if (s.terminationReason) w.termination_reason = s.terminationReason;
    if (actions.length > 0) w.authorized_actions = [...actions];
    if (withConnections && s.connections.length > 0) w.connections = s.connections.map(connectionWire);
    return w;
  }

  /**
   * The item a list filter sees: the caller's view without connections. Fields that cost something to
   * render (timestamps, states, certificate) are prototype getters computed only when the filter reads
   * them, so a filter scanning 100k rows pays for what it looks at.
   */
  sessionFilterItem(s: SessionRec, actions: readonly string[]): unknown {
    return new SessionFilterView(s, this.world.scopes.get(s.projectId)!.info, actions);
  }

  /**
   * `POST …:cancel` once id, version and permission are checked. Returns whether the session changed;
   * an already canceling/terminated session is left alone without looking at the version.
   */
  cancel(s: SessionRec, version: number): "canceled" | "noop" | "stale" {
    const status = s.states[0].status;
    if (status === "canceling" || status === "terminated") return "noop";
    if (version !== s.version) return "stale";
    const now = this.nowUs();
    this.transition(s, "canceling", now);
    s.cancelDueUs = now + this.cancelDelayUs;
    this.cancelQueue.add(s);
    this.applyDue();
    return "canceled";
  }

  private transition(s: SessionRec, to: SessionStatus, atUs: number, reason?: string): void {
    const from = s.states[0].status;
    if (!NEXT[from].includes(to)) throw new Error(`session ${s.id}: ${from} -> ${to} is not a valid transition`);
    // A state never starts before the one it ends.
    const at = Math.max(atUs, s.states[0].startUs);
    removeSorted(this.sessionsByUpdated, byUpdatedKey, s);
    s.states[0].endUs = at;
    s.states.unshift({ status: to, startUs: at });
    s.version += 1;
    s.updatedUs = Math.max(at, s.updatedUs);
    if (to === "terminated") {
      s.terminationReason = reason ?? (from === "canceling" ? "canceled" : "closed by end-user");
      const closed = CONNECTION_CLOSE[s.terminationReason] ?? "unknown";
      for (const c of s.connections) if (c.closedReason === undefined) c.closedReason = closed;
      s.cancelDueUs = undefined;
      this.cancelQueue.delete(s);
    }
    if (to === "active") {
      // Activation is the first connection.
      const port = Number(/:(\d+)$/.exec(s.endpoint)?.[1] ?? 22);
      const address = /^tcp:\/\/(.*):\d+$/.exec(s.endpoint)?.[1] ?? "127.0.0.1";
      s.connections.unshift(newConnection(this.newIds, address, port, undefined, true));
    }
    s.json = undefined;
    insertSorted(this.sessionsByUpdated, byUpdatedKey, s);
  }

  // ---- scopes ----

  scopeWire(sc: ScopeRec, principal: Principal): WireScope {
    const w: WireScope = { id: sc.id };
    if (sc.parentId) w.scope_id = sc.parentId;
    // Global reports itself as its own scope.
    w.scope = this.world.scopes.get(sc.parentId ?? "global")!.info;
    w.name = sc.name;
    if (sc.description) w.description = sc.description;
    w.created_time = formatTimestamp(sc.createdUs);
    w.updated_time = formatTimestamp(sc.updatedUs);
    w.version = sc.version;
    w.type = sc.type;
    if (sc.primaryAuthMethodId) w.primary_auth_method_id = sc.primaryAuthMethodId;
    const actions = principal.idActions("scope", sc.id);
    if (actions.length > 0) w.authorized_actions = [...actions];
    const collections: Record<string, string[]> = {};
    for (const [name, type] of SCOPE_COLLECTIONS[sc.type]) {
      const acts = principal.collectionActions(type, sc.id);
      if (acts.length > 0) collections[name] = [...acts];
    }
    if (Object.keys(collections).length > 0) w.authorized_collection_actions = collections;
    return w;
  }

  /** Projects at or under a scope, in creation order. */
  projectsUnder(scopeId: string): string[] {
    const sc = this.world.scopes.get(scopeId);
    if (!sc) return [];
    if (sc.type === "project") return [sc.id];
    return sc.children.flatMap((c) => this.projectsUnder(c));
  }

  descendants(scopeId: string): ScopeRec[] {
    const sc = this.world.scopes.get(scopeId);
    if (!sc) return [];
    return sc.children.flatMap((c) => [this.world.scopes.get(c)!, ...this.descendants(c)]);
  }

  // ---- the test hooks (EmulatorStore) ----

  api(): EmulatorStore {
    const admin = this.principalsByUser.get(this.tokens.admin.userId)!;
    return {
      sessions: () => {
        this.applyDue();
        const out: WireSession[] = [];
        for (let i = this.sessionsByCreated.length - 1; i >= 0; i--) {
          const s = this.sessionsByCreated[i];
          out.push(this.sessionWire(s, this.sessionActions(admin, s), true));
        }
        return out;
      },
      session: (id) => {
        this.applyDue();
        const s = this.sessionsById.get(id);
        return s && this.sessionWire(s, this.sessionActions(admin, s), true);
      },
      scopeIds: () => [...this.world.scopeOrder],
      createSession: (opts) => this.createSession(opts?.projectId, opts?.userId, opts?.status ?? "pending"),
      setStatus: (id, status, reason) => {
        this.applyDue();
        const s = this.mustGet(id);
        this.transition(s, status, this.nowUs(), reason);
      },
      deleteSession: (id) => {
        this.applyDue();
        const s = this.mustGet(id);
        this.sessionsById.delete(id);
        removeSorted(this.sessionsByCreated, byCreatedKey, s);
        removeSorted(this.sessionsByUpdated, byUpdatedKey, s);
        this.cancelQueue.delete(s);
        this.deletedSessions.push({ id, atUs: this.nowUs() });
      },
      setSessionEstimate: (n) => {
        if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 0xffffffff))
          throw new RangeError(`setSessionEstimate: a uint32, got ${n}`);
        this.sessionEstimate = n;
      },
      setSessionGrant: (userId, actions) => {
        const p = this.principalsByUser.get(userId);
        if (!p) throw new Error(`setSessionGrant: no demo user ${userId}`);
        p.setSessionGrant(actions);
      },
      changeGrants: (userId) => {
        const p = this.principalsByUser.get(userId);
        if (!p) throw new Error(`changeGrants: no demo user ${userId}`);
        p.replaceRole(`r_changed${++this.roleCounter}`);
      },
    };
  }

  private mustGet(id: string): SessionRec {
    const s = this.sessionsById.get(id);
    if (!s) throw new Error(`no session ${id}`);
    return s;
  }

  private createSession(projectId: string | undefined, userId: string | undefined, status: "pending" | "active"): string {
    this.applyDue();
    const project = projectId ?? this.world.scopeOrder.find((id) => this.world.scopes.get(id)!.type === "project");
    if (!project || this.world.scopes.get(project)?.type !== "project") throw new Error(`createSession: ${projectId} is not a project`);
    const owner = userId ?? this.tokens.users[0]?.userId ?? this.tokens.admin.userId;
    if (!this.world.users.has(owner)) throw new Error(`createSession: no user ${owner}`);
    const target = [...this.world.targets.values()].find((t) => t.projectId === project && !t.deleted && t.hostSetIds.length > 0)!;
    const authToken = [...this.world.authTokens.values()].find((t) => t.userId === owner);
    let id = this.newIds.id("s");
    while (this.sessionsById.has(id)) id = this.newIds.id("s");
    const now = this.nowUs();
    const ep = pickEndpoint(this.newIds, target, this.world.hostSets, this.world.hosts);
    const s: SessionRec = {
      id,
      projectId: project,
      targetId: target.id,
      targetType: "tcp",
      userId: owner,
      authTokenId: authToken?.id,
      hostSetId: ep.hostSetId,
      hostId: ep.hostId,
      endpoint: `tcp://${ep.address}:${target.defaultPort}`,
      createdUs: now,
      updatedUs: now,
      version: 1,
      expirationUs: now + target.sessionMaxSeconds * 1_000_000,
      states: [{ status: "pending", startUs: now }],
      certSeed: Math.floor(this.newIds.next() * 4294967296),
      connections: [],
    };
    this.sessionsById.set(id, s);
    insertSorted(this.sessionsByCreated, byCreatedKey, s);
    insertSorted(this.sessionsByUpdated, byUpdatedKey, s);
    if (status === "active") this.transition(s, "active", now);
    return id;
  }
}

function describe(user: UserRec, secondOrg: string | undefined): string {
  switch (user.kind) {
    case "admin":
      return `${user.loginName}: every action on every resource (ids=*;type=*;actions=*)`;
    case "user":
      return `${user.loginName}: sessions list,read:self,cancel:self (lists only own sessions); read scopes and targets`;
    case "limited":
      return `${user.loginName}: list/read/cancel every session; read scopes except ${secondOrg ?? "(no second org)"} and its projects (403 there)`;
  }
}

function stateWire(st: StateRec): WireSessionState {
  const o: WireSessionState = { status: st.status, start_time: formatTimestamp(st.startUs) };
  if (st.endUs !== undefined) o.end_time = formatTimestamp(st.endUs);
  return o;
}

function connectionWire(c: ConnectionRec): WireConnection {
  const w: WireConnection = {
    client_tcp_address: c.clientAddress,
    client_tcp_port: c.clientPort,
    endpoint_tcp_address: c.endpointAddress,
    endpoint_tcp_port: c.endpointPort,
  };
  if (c.bytesUp > 0) w.bytes_up = String(c.bytesUp);
  if (c.bytesDown > 0) w.bytes_down = String(c.bytesDown);
  if (c.closedReason) w.closed_reason = c.closedReason;
  return w;
}

/** DER-looking bytes (an X.509 SEQUENCE header, then noise), derived from the session's seed. */
function certificate(seed: number): string {
  const rng = new Rng(seed);
  const len = 290 + rng.int(0, 50);
  const b = rng.bytes(len);
  b[0] = 0x30;
  b[1] = 0x82;
  b[2] = (len - 4) >> 8;
  b[3] = (len - 4) & 0xff;
  b[4] = 0x30;
  b[5] = 0x82;
  b[6] = (len - 8 - 80) >> 8;
  b[7] = (len - 8 - 80) & 0xff;
  return b.toString("base64");
}

/** See Store.sessionFilterItem. Absent fields read as undefined, as the JSON omits them. */
class SessionFilterView {
  constructor(
    private readonly s: SessionRec,
    readonly scope: WireSession["scope"],
    private readonly actions: readonly string[],
  ) {}
  get id() {
    return this.s.id;
  }
  get target_id() {
    return this.s.targetId;
  }
  get created_time() {
    return formatTimestamp(this.s.createdUs);
  }
  get updated_time() {
    return formatTimestamp(this.s.updatedUs);
  }
  get version() {
    return this.s.version;
  }
  get type() {
    return this.s.targetId ? this.s.targetType : undefined;
  }
  get expiration_time() {
    return formatTimestamp(this.s.expirationUs);
  }
  get auth_token_id() {
    return this.s.authTokenId;
  }
  get user_id() {
    return this.s.userId;
  }
  get host_set_id() {
    return this.s.hostSetId;
  }
  get host_id() {
    return this.s.hostId;
  }
  get scope_id() {
    return this.s.projectId;
  }
  get endpoint() {
    return this.s.endpoint;
  }
  get states() {
    return this.s.states.map(stateWire);
  }
  get status() {
    return this.s.states[0].status;
  }
  get certificate() {
    return certificate(this.s.certSeed);
  }
  get termination_reason() {
    return this.s.terminationReason;
  }
  get authorized_actions() {
    return this.actions.length > 0 ? [...this.actions] : undefined;
  }
}
