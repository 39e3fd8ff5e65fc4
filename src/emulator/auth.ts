/**
 * Callers and what they may do: bearer parsing as the controller does it, a small grant model
 * (`ids=…;type=…;actions=…` with grant scopes) and the authorized-actions computation of
 * `internal/perms/acl.go` reduced to what the emulated endpoints need.
 */
import { createHash } from "node:crypto";

export type ResourceType =
  | "session"
  | "scope"
  | "target"
  | "user"
  | "host"
  | "host-set"
  | "host-catalog"
  | "auth-token"
  | "auth-method"
  | "group"
  | "role"
  | "worker"
  | "credential-store"
  | "alias";

/** Id-actions per resource type, in the order the emulator prints them. */
const ID_ACTIONS: Partial<Record<ResourceType, readonly string[]>> = {
  session: ["no-op", "read", "read:self", "cancel", "cancel:self"],
  scope: ["no-op", "read", "update", "delete"],
  target: ["no-op", "read", "update", "delete", "add-host-sources", "set-host-sources", "remove-host-sources", "authorize-session"],
  user: ["no-op", "read", "update", "delete", "add-accounts", "set-accounts", "remove-accounts"],
  host: ["no-op", "read", "update", "delete"],
  "host-set": ["no-op", "read", "update", "delete", "add-hosts", "set-hosts", "remove-hosts"],
  "auth-token": ["no-op", "read", "read:self", "delete", "delete:self"],
};

const COLLECTION_ACTIONS: Record<ResourceType, readonly string[]> = {
  session: ["list"],
  scope: ["create", "list"],
  target: ["create", "list"],
  user: ["create", "list"],
  host: [],
  "host-set": [],
  "host-catalog": ["create", "list"],
  "auth-token": ["list"],
  "auth-method": ["create", "list"],
  group: ["create", "list"],
  role: ["create", "list"],
  worker: ["create:controller-led", "create:worker-led", "list"],
  "credential-store": ["create", "list"],
  alias: ["create", "list"],
};

/** Collections a scope of each type holds, keyed as `authorized_collection_actions` names them. */
export const SCOPE_COLLECTIONS: Record<"global" | "org" | "project", ReadonlyArray<[string, ResourceType]>> = {
  global: [
    ["aliases", "alias"],
    ["auth-methods", "auth-method"],
    ["auth-tokens", "auth-token"],
    ["groups", "group"],
    ["roles", "role"],
    ["scopes", "scope"],
    ["users", "user"],
    ["workers", "worker"],
  ],
  org: [
    ["auth-methods", "auth-method"],
    ["auth-tokens", "auth-token"],
    ["groups", "group"],
    ["roles", "role"],
    ["scopes", "scope"],
    ["users", "user"],
  ],
  project: [
    ["credential-stores", "credential-store"],
    ["groups", "group"],
    ["host-catalogs", "host-catalog"],
    ["roles", "role"],
    ["sessions", "session"],
    ["targets", "target"],
  ],
};

export interface Grant {
  /** Grant scopes: every scope, or an explicit set of scope ids. */
  scopes: "all" | ReadonlySet<string>;
  /** `*`, or `self` for the `{{.User.Id}}` template. */
  ids: "*" | "self";
  type: ResourceType | "*";
  actions: readonly string[];
}

export function grantText(g: Grant): string {
  const ids = g.ids === "self" ? "{{.User.Id}}" : "*";
  return `ids=${ids};type=${g.type};actions=${g.actions.join(",")}`;
}

export class Principal {
  private readonly cache = new Map<string, readonly string[]>();
  private hash: string | undefined;

  constructor(
    readonly userId: string,
    readonly anonymous: boolean,
    private grants: readonly Grant[],
    private roleIds: readonly string[],
  ) {}

  /** The hash list tokens carry: over grant strings, grant scopes and role ids, as `perms/grants.go`. */
  grantsHash(): string {
    if (this.hash === undefined) {
      const material = JSON.stringify({
        roles: this.roleIds,
        grants: this.grants.map((g) => [grantText(g), g.scopes === "all" ? "all" : [...g.scopes].sort()]),
      });
      this.hash = createHash("sha256").update(material).digest("base64url").slice(0, 22);
    }
    return this.hash;
  }

  /** A new role with the same grants: the hash changes, what the caller may do does not. */
  replaceRole(newRoleId: string): void {
    this.roleIds = [...this.roleIds, newRoleId];
    this.hash = undefined;
    this.cache.clear();
  }

  /** Replace the caller's session grants with one `ids=*;type=session;actions=…` grant in every scope. */
  setSessionGrant(actions: readonly string[]): void {
    this.grants = [...this.grants.filter((g) => g.type !== "session"), { scopes: "all", ids: "*", type: "session", actions }];
    this.hash = undefined;
    this.cache.clear();
  }

  grantLines(): string[] {
    return this.grants.map(grantText);
  }

  /**
   * The id-actions the caller holds on one resource, as `authorized_actions` lists them. As in
   * `internal/perms/acl.go` (`Allowed`, `ACLResults.FetchActionSetForId`), a `:self` action is granted
   * whoever owns the resource: a `read` grant yields `read` and `read:self`, a `read:self` grant yields
   * `read:self` on everyone's sessions. Ownership only matters when the action is used (see `allows`).
   * `isCallerItself` is for `ids={{.User.Id}}` grants on users.
   */
  idActions(type: ResourceType, scopeId: string, isCallerItself = false): readonly string[] {
    const key = `${type}|${scopeId}|${isCallerItself ? 1 : 0}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const all = ID_ACTIONS[type] ?? [];
    const got = new Set<string>();
    for (const g of this.grants) {
      if (g.type !== "*" && g.type !== type) continue;
      if (g.scopes !== "all" && !g.scopes.has(scopeId)) continue;
      if (g.ids === "self" && !isCallerItself) continue;
      for (const a of g.actions) {
        if (a === "*") {
          for (const x of all) got.add(x);
        } else if (all.includes(a)) {
          got.add(a);
          if (all.includes(`${a}:self`)) got.add(`${a}:self`);
        }
      }
    }
    const out = all.filter((a) => got.has(a));
    this.cache.set(key, out);
    return out;
  }

  collectionActions(type: ResourceType, scopeId: string): readonly string[] {
    const key = `c|${type}|${scopeId}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const all = COLLECTION_ACTIONS[type];
    const got = new Set<string>();
    for (const g of this.grants) {
      if (g.type !== "*" && g.type !== type) continue;
      if (g.scopes !== "all" && !g.scopes.has(scopeId)) continue;
      if (g.ids === "self") continue;
      for (const a of g.actions) {
        if (a === "*") for (const x of all) got.add(x);
        else if (all.includes(a)) got.add(a);
      }
    }
    const out = all.filter((a) => got.has(a));
    this.cache.set(key, out);
    return out;
  }

  /**
   * Whether `action` is allowed on a resource. The controller first checks the `:self` action (held
   * through itself or its parent, whoever owns the resource), then, when the caller does not own the
   * resource, the parent action itself (sessions/session_service.go `GetSession`, `CancelSession`).
   * For types without a `:self` variant, the action itself.
   */
  allows(type: ResourceType, scopeId: string, action: string, owner: boolean, isCallerItself = false): boolean {
    const actions = this.idActions(type, scopeId, isCallerItself);
    if (owner && actions.includes(`${action}:self`)) return true;
    return actions.includes(action);
  }

  /**
   * True when the caller's session grants in `projectId` are all `:self`: the controller then adds a
   * `user_id` clause to the list query, so only the caller's own sessions are listed.
   */
  selfOnlySessions(projectId: string): boolean {
    // `action.ActionSet.OnlySelf` over the grants' id-actions (list excluded); with no id-action at all
    // every item would carry no authorized action and be dropped anyway.
    return this.idActions("session", projectId).every((a) => a.endsWith(":self"));
  }
}

/** `Authorization: Bearer <token>`: scheme case-insensitive, whitespace trimmed (auth.go GetTokenFromRequest). */
export function bearerToken(authorization: string | undefined, cookie: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const trimmed = authorization.trim();
    const m = /^(\S+)\s+(.*)$/s.exec(trimmed);
    if (m && m[1].toLowerCase() === "bearer") {
      const token = m[2].trim();
      if (token !== "") return token;
    }
  }
  // Browsers split the token over two cookies; used only without a usable Bearer header.
  if (cookie !== undefined) {
    const jar = new Map<string, string>();
    for (const part of cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const js = jar.get("wt-js-token-cookie");
    const http = jar.get("wt-http-token-cookie");
    if (js && http) return js + http;
  }
  return undefined;
}

/** Exactly `at_<id>_s1<ciphertext>`; anything else is the anonymous user, not an error. */
export function isWellFormedToken(token: string): boolean {
  const parts = token.split("_");
  return parts.length === 3 && parts[0] === "at" && /^[A-Za-z0-9]+$/.test(parts[1]) && parts[2].startsWith("s1");
}

/**
 * The demo callers' grants. `limitedReadScopes` is every scope except the second org and its projects.
 */
export function demoGrants(kind: "admin" | "user" | "limited" | "anonymous", limitedReadScopes: ReadonlySet<string>): Grant[] {
  // Every user, anonymous included, gets the default "Login and Default Grants" role.
  const login: Grant[] = [
    { scopes: "all", ids: "*", type: "scope", actions: ["list", "no-op"] },
    { scopes: "all", ids: "*", type: "auth-method", actions: ["list", "authenticate"] },
  ];
  switch (kind) {
    case "anonymous":
      return login;
    case "admin":
      return [...login, { scopes: "all", ids: "*", type: "*", actions: ["*"] }];
    case "user":
      return [
        ...login,
        { scopes: "all", ids: "*", type: "session", actions: ["list", "read:self", "cancel:self"] },
        { scopes: "all", ids: "*", type: "scope", actions: ["read"] },
        { scopes: "all", ids: "*", type: "target", actions: ["list", "read"] },
        { scopes: "all", ids: "self", type: "user", actions: ["read"] },
        { scopes: "all", ids: "*", type: "auth-token", actions: ["list", "read:self", "delete:self"] },
      ];
    case "limited":
      return [
        ...login,
        { scopes: "all", ids: "*", type: "session", actions: ["list", "read", "cancel"] },
        { scopes: limitedReadScopes, ids: "*", type: "scope", actions: ["read"] },
        { scopes: "all", ids: "*", type: "target", actions: ["list", "read"] },
        { scopes: "all", ids: "self", type: "user", actions: ["read"] },
        { scopes: "all", ids: "*", type: "auth-token", actions: ["list", "read:self"] },
      ];
  }
}
