/**
 * Deterministic demo data: the same seed and sizes give the same ids and the same data, with every
 * timestamp placed relative to `startTime`. Each kind of data draws from its own random stream, so the
 * org/project/user/target ids of a seed do not move when only the session count changes.
 */
import type { WireScopeInfo } from "../boundary/wire.js";
import type {
  AuthTokenRec,
  ConnectionRec,
  HostRec,
  HostSetRec,
  ScopeRec,
  SessionRec,
  SessionStatus,
  StateRec,
  TargetRec,
  UserKind,
  UserRec,
  World,
} from "./model.js";
import { Rng, streamSeed } from "./rand.js";
import { US_PER_S } from "./time.js";

export interface SeedOptions {
  seed: number;
  orgs: number;
  projectsPerOrg: number;
  users: number;
  sessions: number;
  startTimeMs: number;
}

const MINUTE = 60 * US_PER_S;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Seeded sessions are created within this window before the start. */
const SESSION_WINDOW = 12 * HOUR;
/** Nothing seeded changes in the last minute before the start, so a first refresh (30 s lookback) of a
 * fresh emulator returns only what the test itself changed. */
const QUIET = MINUTE;

const ORG_NAMES = ["Engineering", "Operations", "Finance", "Research", "Support", "Marketing"];
const PROJECT_NAMES = ["prod", "staging", "dev", "qa", "sandbox"];
const USER_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
const CLOSED_REASONS = [
  "closed by end-user",
  "closed by end-user",
  "closed by end-user",
  "network error",
  "timed out",
  "unknown",
  "system error",
];

/** `taken` holds every id generated so far, so two random ids can never collide silently. */
function uniqueId(rng: Rng, prefix: string, taken: Set<string>): string {
  for (;;) {
    const id = rng.id(prefix);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

export function seedWorld(o: SeedOptions): World {
  const startUs = Math.floor(o.startTimeMs) * 1000;
  const taken = new Set<string>();
  const scopes = new Map<string, ScopeRec>();
  const scopeOrder: string[] = [];

  // Scopes.
  const srng = new Rng(streamSeed(o.seed, "scopes"));
  const authRng = new Rng(streamSeed(o.seed, "auth"));
  const authMethodId = uniqueId(authRng, "ampw", taken);
  const globalCreated = startUs - 400 * DAY + srng.int(0, DAY);
  const global: ScopeRec = {
    id: "global",
    type: "global",
    name: "global",
    description: "Global Scope",
    createdUs: globalCreated,
    updatedUs: globalCreated + srng.int(DAY, 10 * DAY),
    version: 2,
    primaryAuthMethodId: authMethodId,
    info: { id: "global", type: "global", name: "global", description: "Global Scope" },
    children: [],
  };
  scopes.set("global", global);
  scopeOrder.push("global");
  for (let i = 0; i < o.orgs; i++) {
    const id = uniqueId(srng, "o", taken);
    const name = i < ORG_NAMES.length ? ORG_NAMES[i] : `Org ${i + 1}`;
    const created = globalCreated + (i + 1) * 5 * DAY + srng.int(0, DAY);
    const org: ScopeRec = {
      id,
      type: "org",
      parentId: "global",
      name,
      description: `${name} organization`,
      createdUs: created,
      updatedUs: created + srng.int(0, 30 * DAY),
      version: srng.int(1, 3),
      info: scopeInfo(id, "org", name, `${name} organization`, "global"),
      children: [],
    };
    scopes.set(id, org);
    scopeOrder.push(id);
    global.children.push(id);
    for (let j = 0; j < o.projectsPerOrg; j++) {
      const pid = uniqueId(srng, "p", taken);
      const pname = j < PROJECT_NAMES.length ? PROJECT_NAMES[j] : `project-${j + 1}`;
      // Every second project has no description: zero values must be left out of the JSON.
      const pdesc = j % 2 === 0 ? `${name} ${pname} resources` : undefined;
      const pcreated = created + (j + 1) * DAY + srng.int(0, DAY);
      scopes.set(pid, {
        id: pid,
        type: "project",
        parentId: id,
        name: pname,
        description: pdesc,
        createdUs: pcreated,
        updatedUs: pcreated + srng.int(0, 30 * DAY),
        version: srng.int(1, 4),
        info: scopeInfo(pid, "project", pname, pdesc, id),
        children: [],
      });
      scopeOrder.push(pid);
      org.children.push(pid);
    }
  }
  const projects = scopeOrder.filter((id) => scopes.get(id)!.type === "project");

  // Users and their auth tokens: the admin, the ordinary users, the scope-limited one.
  const users = new Map<string, UserRec>();
  const authTokens = new Map<string, AuthTokenRec>();
  const people: Array<{ kind: UserKind; login: string; full: string }> = [{ kind: "admin", login: "admin", full: "Administrator" }];
  for (let i = 0; i < o.users; i++) {
    const login = i < USER_NAMES.length ? USER_NAMES[i] : `user${i + 1}`;
    people.push({ kind: "user", login, full: `${login[0].toUpperCase()}${login.slice(1)} Example` });
  }
  people.push({ kind: "limited", login: "auditor", full: "Scope-limited Auditor" });
  for (const p of people) {
    const id = uniqueId(authRng, "u", taken);
    const accountId = uniqueId(authRng, "acctpw", taken);
    const created = startUs - 100 * DAY + authRng.int(0, 50 * DAY);
    users.set(id, {
      id,
      kind: p.kind,
      name: p.login,
      description: p.kind === "user" ? undefined : p.full,
      loginName: p.login,
      fullName: p.full,
      email: `${p.login}@example.com`,
      accountId,
      authMethodId,
      createdUs: created,
      updatedUs: created + authRng.int(0, 10 * DAY),
      version: authRng.int(1, 3),
    });
    const tokenId = uniqueId(authRng, "at", taken);
    const tokenCreated = startUs - authRng.int(HOUR, 2 * DAY);
    authTokens.set(tokenId, {
      id: tokenId,
      token: `${tokenId}_s1${authRng.base58(60)}`,
      userId: id,
      accountId,
      authMethodId,
      createdUs: tokenCreated,
      updatedUs: tokenCreated,
      lastUsedUs: startUs - authRng.int(2 * MINUTE, 30 * MINUTE),
      // A long time-to-live (configurable per auth method in Boundary) keeps the demo tokens valid when
      // a test moves the clock past the 30-day list-token expiry.
      expirationUs: tokenCreated + 400 * DAY,
    });
  }

  // Targets, host catalogs, host sets and hosts, per project.
  const targets = new Map<string, TargetRec>();
  const hostSets = new Map<string, HostSetRec>();
  const hosts = new Map<string, HostRec>();
  const trng = new Rng(streamSeed(o.seed, "targets"));
  projects.forEach((pid, pi) => {
    const project = scopes.get(pid)!;
    const catalogId = uniqueId(trng, "hcst", taken);
    const base = project.createdUs + DAY;
    const setIds: string[] = [];
    for (const [si, setName] of ["linux-servers", "databases"].entries()) {
      const setId = uniqueId(trng, "hsst", taken);
      const hostIds: string[] = [];
      for (let h = 0; h < 3; h++) {
        const hid = uniqueId(trng, "hst", taken);
        const created = base + trng.int(0, 10 * DAY);
        hosts.set(hid, {
          id: hid,
          catalogId,
          projectId: pid,
          name: `${setName === "databases" ? "db" : "srv"}-${h + 1}`,
          description: h === 0 ? `Primary ${setName === "databases" ? "database" : "server"}` : undefined,
          address: `10.${pi % 250}.${si + 1}.${10 + h}`,
          hostSetIds: [setId],
          createdUs: created,
          updatedUs: created + trng.int(0, 5 * DAY),
          version: trng.int(1, 3),
        });
        hostIds.push(hid);
      }
      const created = base + trng.int(0, DAY);
      hostSets.set(setId, {
        id: setId,
        catalogId,
        projectId: pid,
        name: setName,
        description: si === 0 ? "Linux hosts reachable over SSH" : undefined,
        hostIds,
        createdUs: created,
        updatedUs: created + trng.int(DAY, 10 * DAY),
        version: 1 + hostIds.length,
      });
      setIds.push(setId);
    }
    const specs: Array<Omit<TargetRec, "id" | "createdUs" | "updatedUs" | "version">> = [
      {
        projectId: pid,
        name: "ssh",
        description: "SSH to the Linux servers",
        defaultPort: 22,
        sessionMaxSeconds: 28800,
        connectionLimit: -1,
        hostSetIds: [setIds[0]],
        catalogId,
        deleted: false,
      },
      {
        projectId: pid,
        name: "postgres",
        description: "PostgreSQL primary and replicas",
        defaultPort: 5432,
        sessionMaxSeconds: 3600,
        connectionLimit: 1,
        hostSetIds: [setIds[1]],
        catalogId,
        deleted: false,
      },
      // A direct-address target: its sessions carry neither host_id nor host_set_id.
      {
        projectId: pid,
        name: "admin-console",
        defaultPort: 443,
        sessionMaxSeconds: 14400,
        connectionLimit: 5,
        hostSetIds: [],
        address: `10.${pi % 250}.9.1`,
        deleted: false,
      },
      // Deleted before the start: only some sessions remember it, without target_id.
      {
        projectId: pid,
        name: "legacy-rdp",
        defaultPort: 3389,
        sessionMaxSeconds: 28800,
        connectionLimit: -1,
        hostSetIds: [],
        address: `10.${pi % 250}.9.2`,
        deleted: true,
      },
    ];
    for (const spec of specs) {
      const id = uniqueId(trng, "ttcp", taken);
      const created = base + trng.int(DAY, 20 * DAY);
      targets.set(id, { ...spec, id, createdUs: created, updatedUs: created + trng.int(0, 20 * DAY), version: trng.int(1, 5) });
    }
  });

  // Sessions.
  const sessions: SessionRec[] = [];
  const rng = new Rng(streamSeed(o.seed, "sessions"));
  const targetsByProject = new Map<string, { live: TargetRec[]; deleted: TargetRec[] }>();
  for (const t of targets.values()) {
    let e = targetsByProject.get(t.projectId);
    if (!e) targetsByProject.set(t.projectId, (e = { live: [], deleted: [] }));
    (t.deleted ? e.deleted : e.live).push(t);
  }
  const userList = [...users.values()];
  const ordinary = userList.filter((u) => u.kind === "user");
  // Ordinary users own most sessions; the admin and the scope-limited user own some too.
  const owners = [...userList.filter((u) => u.kind !== "user"), ...ordinary, ...ordinary];
  const tokenOf = new Map([...authTokens.values()].map((t) => [t.userId, t.id]));
  const latest = startUs - QUIET;
  if (projects.length > 0) {
    for (let i = 0; i < o.sessions; i++) {
      const projectId = rng.pick(projects);
      const pt = targetsByProject.get(projectId)!;
      const owner = rng.pick(owners);
      const deletedTarget = rng.chance(0.03);
      const target = deletedTarget ? pt.deleted[0] : rng.pick(pt.live);
      // Deleting a target or logging out (deleting the auth token) cancels the session.
      const deletedToken = !deletedTarget && rng.chance(0.02);
      const forcedCancel = deletedTarget || deletedToken;
      sessions.push(
        seedSession(rng, uniqueId(rng, "s", taken), {
          projectId,
          target,
          targetGone: deletedTarget,
          userId: owner.id,
          authTokenId: deletedToken ? undefined : tokenOf.get(owner.id),
          forcedCancel,
          hosts,
          hostSets,
          latest,
        }),
      );
    }
  }
  sessions.sort(compareCreated);

  return {
    scopes,
    scopeOrder,
    users,
    authMethodId,
    authTokens,
    targets,
    hostSets,
    hosts,
    sessions,
    sessionIdSeed: streamSeed(o.seed, "new-sessions"),
  };
}

export function compareCreated(a: { createdUs: number; id: string }, b: { createdUs: number; id: string }): number {
  return a.createdUs - b.createdUs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function scopeInfo(id: string, type: "org" | "project", name: string, description: string | undefined, parent: string): WireScopeInfo {
  const info: WireScopeInfo = { id, type, name };
  if (description) info.description = description;
  info.parent_scope_id = parent;
  return info;
}

interface SessionPlan {
  projectId: string;
  target: TargetRec;
  targetGone: boolean;
  userId: string;
  authTokenId: string | undefined;
  forcedCancel: boolean;
  hosts: Map<string, HostRec>;
  hostSets: Map<string, HostSetRec>;
  latest: number;
}

/** Where the session connects: a host of the target's host set, or the target's direct address. */
export function pickEndpoint(
  rng: Rng,
  target: TargetRec,
  hostSets: Map<string, HostSetRec>,
  hosts: Map<string, HostRec>,
): { hostSetId?: string; hostId?: string; address: string } {
  if (target.hostSetIds.length === 0) return { address: target.address ?? "127.0.0.1" };
  const set = hostSets.get(rng.pick(target.hostSetIds))!;
  const host = hosts.get(rng.pick(set.hostIds))!;
  return { hostSetId: set.id, hostId: host.id, address: host.address };
}

export function newConnection(
  rng: Rng,
  endpointAddress: string,
  endpointPort: number,
  closedReason: string | undefined,
  fresh = false,
): ConnectionRec {
  // Big byte counts on purpose: they exceed 2^32, which is why the wire sends them as strings.
  const bytes = (scale: number) => (fresh && rng.chance(0.5) ? 0 : Math.floor(rng.next() ** 3 * scale));
  return {
    clientAddress: rng.chance(0.5) ? `192.168.${rng.int(0, 20)}.${rng.int(2, 254)}` : `172.16.${rng.int(0, 31)}.${rng.int(2, 254)}`,
    clientPort: rng.int(49152, 65535),
    endpointAddress,
    endpointPort,
    bytesUp: bytes(2e8),
    bytesDown: bytes(8e9),
    closedReason,
  };
}

function seedSession(rng: Rng, id: string, p: SessionPlan): SessionRec {
  const maxUs = p.target.sessionMaxSeconds * US_PER_S;
  let status: SessionStatus;
  const r = rng.next();
  if (p.forcedCancel) status = r < 0.3 ? "canceling" : "terminated";
  else status = r < 0.12 ? "pending" : r < 0.47 ? "active" : r < 0.57 ? "canceling" : "terminated";

  // Live sessions must not be past their expiration (the controller would have terminated them).
  const window = status === "terminated" ? SESSION_WINDOW : Math.min(SESSION_WINDOW, maxUs * 0.9);
  const createdUs = p.latest - rng.int(10 * US_PER_S, Math.floor(window));
  const expirationUs = createdUs + maxUs;

  let path: SessionStatus[];
  let reason: string | undefined;
  let endUs = p.latest;
  const activated = rng.chance(0.7);
  switch (status) {
    case "pending":
      path = [];
      break;
    case "active":
      path = ["active"];
      break;
    case "canceling":
      path = activated ? ["active", "canceling"] : ["canceling"];
      break;
    case "terminated": {
      const roll = rng.next();
      if (!p.forcedCancel && roll < 0.35 && expirationUs < p.latest) {
        reason = "timed out";
        path = activated ? ["active", "terminated"] : ["terminated"];
        endUs = expirationUs;
      } else if (!p.forcedCancel && roll < 0.55 && p.target.connectionLimit > 0) {
        reason = "connection limit";
        path = ["active", "terminated"];
      } else {
        reason = "canceled";
        path = activated ? ["active", "canceling", "terminated"] : ["canceling", "terminated"];
      }
      break;
    }
  }
  // Transition instants: sorted, distinct, within (created, endUs]; the last one exactly at endUs for
  // a timeout.
  const times = path.map(() => createdUs + rng.int(1, Math.max(1, endUs - createdUs)));
  times.sort((a, b) => a - b);
  for (let k = 1; k < times.length; k++) if (times[k] <= times[k - 1]) times[k] = times[k - 1] + 1;
  if (reason === "timed out" && times.length > 0) times[times.length - 1] = Math.max(endUs, times[times.length - 1]);

  const chronological: StateRec[] = [{ status: "pending", startUs: createdUs }];
  path.forEach((s, k) => {
    chronological[chronological.length - 1].endUs = times[k];
    chronological.push({ status: s, startUs: times[k] });
  });
  const states = chronological.reverse();

  const ep = pickEndpoint(rng, p.target, p.hostSets, p.hosts);
  const connections: ConnectionRec[] = [];
  if (path.includes("active")) {
    const n = reason === "connection limit" ? Math.min(p.target.connectionLimit, 3) : rng.int(1, 3);
    for (let k = 0; k < n; k++) {
      const newest = k === 0;
      let closed: string | undefined;
      if (status === "terminated")
        closed = newest && reason !== "connection limit" ? (reason === "canceled" ? "canceled" : "timed out") : rng.pick(CLOSED_REASONS);
      else if (newest && status === "active") closed = rng.chance(0.7) ? undefined : rng.pick(CLOSED_REASONS);
      else if (newest && status === "canceling") closed = rng.chance(0.6) ? undefined : "canceled";
      else closed = rng.pick(CLOSED_REASONS);
      connections.push(newConnection(rng, ep.address, p.target.defaultPort, closed, newest && closed === undefined));
    }
  }

  return {
    id,
    projectId: p.projectId,
    targetId: p.targetGone ? undefined : p.target.id,
    targetType: "tcp",
    userId: p.userId,
    authTokenId: p.authTokenId,
    hostSetId: ep.hostSetId,
    hostId: ep.hostId,
    endpoint: `tcp://${ep.address}:${p.target.defaultPort}`,
    createdUs,
    updatedUs: states[0].startUs,
    version: states.length,
    expirationUs,
    states,
    terminationReason: reason,
    certSeed: Math.floor(rng.next() * 4294967296),
    connections,
  };
}
