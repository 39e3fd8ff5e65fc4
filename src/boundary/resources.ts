/**
 * The one registry of the resources the gateway reads by id. Each entry says how Boundary names the
 * kind (its id prefixes, hashicorp/boundary globals/prefixes.go; its collection under /v1) and what
 * the rest of the gateway builds on it: the GraphQL type name, the loader that reads it and what one
 * read costs. Plain data and functions over wire objects only: this folder knows no GraphQL, so the
 * schema side (node lookup, cost table, loaders) derives from these entries.
 *
 * Adding a kind: one entry here, a client read, then its GraphQL type and its mapper.
 */
import type { BoundaryClient } from "./client.js";

export type ResourceKind = "session" | "scope" | "target" | "user" | "host" | "hostSet" | "authToken";

export interface ResourceSpec {
  /** Id prefixes (before the first `_`), old spellings included. The scope `global` has none. */
  readonly prefixes: readonly string[];
  /** The by-id read, as it is named in logs and metrics. */
  readonly endpoint: string;
  /** The GraphQL object type its values have (each implements `Node`). */
  readonly typeName: string;
  /** How the kind is named in messages, e.g. "host set". */
  readonly noun: string;
  /** What a malformed id of this kind should have looked like, for the refusal message. */
  readonly hint: string;
  /** Upstream reads one by-id lookup of this kind costs (a field returning it, `node(id)`). */
  readonly cost: number;
  /** The per-request loader's read: one call to the controller, answering the wire object. */
  readonly read: (client: BoundaryClient, id: string, auth: string | undefined) => Promise<unknown>;
}

// `satisfies` rather than a type annotation: each entry keeps its own read's wire type.
export const RESOURCES = {
  session: {
    prefixes: ["s"],
    endpoint: "GET /v1/sessions/{id}",
    typeName: "Session",
    noun: "session",
    hint: "a session id (s_…)",
    cost: 1,
    read: (client, id, auth) => client.getSession(id, auth),
  },
  scope: {
    prefixes: ["o", "p"],
    endpoint: "GET /v1/scopes/{id}",
    typeName: "Scope",
    noun: "scope",
    hint: "a scope id (global, o_… or p_…)",
    cost: 1,
    read: (client, id, auth) => client.getScope(id, auth),
  },
  target: {
    prefixes: ["ttcp", "tssh", "trdp"],
    endpoint: "GET /v1/targets/{id}",
    typeName: "Target",
    noun: "target",
    hint: "a target id (ttcp_…, tssh_… or trdp_…)",
    cost: 1,
    read: (client, id, auth) => client.getTarget(id, auth),
  },
  user: {
    prefixes: ["u"],
    endpoint: "GET /v1/users/{id}",
    typeName: "User",
    noun: "user",
    hint: "a user id (u_…)",
    cost: 1,
    read: (client, id, auth) => client.getUser(id, auth),
  },
  host: {
    prefixes: ["hst", "hplg", "h"],
    endpoint: "GET /v1/hosts/{id}",
    typeName: "Host",
    noun: "host",
    hint: "a host id (hst_…, hplg_… or h_…)",
    cost: 1,
    read: (client, id, auth) => client.getHost(id, auth),
  },
  hostSet: {
    prefixes: ["hsst", "hsplg", "hs"],
    endpoint: "GET /v1/host-sets/{id}",
    typeName: "HostSet",
    noun: "host set",
    hint: "a host set id (hsst_…, hsplg_… or hs_…)",
    cost: 1,
    read: (client, id, auth) => client.getHostSet(id, auth),
  },
  authToken: {
    prefixes: ["at"],
    endpoint: "GET /v1/auth-tokens/{id}",
    typeName: "AuthToken",
    noun: "auth token",
    hint: "an auth token id (at_…)",
    cost: 1,
    read: (client, id, auth) => client.getAuthToken(id, auth),
  },
} as const satisfies Readonly<Record<ResourceKind, ResourceSpec>>;

/** Every kind, in the registry's order. */
export const RESOURCE_KINDS = Object.keys(RESOURCES) as readonly ResourceKind[];

const PREFIX_KINDS: ReadonlyMap<string, ResourceKind> = new Map(
  RESOURCE_KINDS.flatMap((kind) => RESOURCES[kind].prefixes.map((p) => [p, kind] as const)),
);

/** Which resource an id names, from its prefix alone; undefined for prefixes the gateway does not read. */
export function resourceKindOf(id: string): ResourceKind | undefined {
  if (id === "global") return "scope";
  const cut = id.indexOf("_");
  return cut > 0 ? PREFIX_KINDS.get(id.slice(0, cut)) : undefined;
}
