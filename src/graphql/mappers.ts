/**
 * The only place where the controller's wire names become schema names. Absent wire fields are
 * protojson zero values: absent arrays become [], absent byte counts 0, absent strings null.
 */
import type {
  WireAuthToken,
  WireConnection,
  WireCredentialSource,
  WireHost,
  WireHostSet,
  WirePluginInfo,
  WireScope,
  WireScopeInfo,
  WireSession,
  WireTarget,
  WireUser,
} from "../boundary/wire.js";
import type { SessionListing } from "../boundary/sessions.js";
import type { AuthToken } from "./types/auth-token.type.js";
import type { Connection } from "./types/connection.type.js";
import type { CredentialSource } from "./types/credential-source.type.js";
import type { HostSet } from "./types/host-set.type.js";
import type { Host } from "./types/host.type.js";
import type { PluginInfo } from "./types/plugin-info.type.js";
import type { Target } from "./types/target.type.js";
import type { User } from "./types/user.type.js";
import { ListResponseType, ScopeType, SessionStatus } from "./types/enums.js";
import type { Scope } from "./types/scope.type.js";
import type { SessionPage } from "./types/session-page.type.js";
import type { Session } from "./types/session.type.js";

export function toScopeFromInfo(info: WireScopeInfo): Scope {
  return {
    id: info.id,
    type: info.type as ScopeType,
    name: info.name,
    description: info.description,
    parentScopeId: info.parent_scope_id,
    scopeId: info.parent_scope_id,
    complete: false,
  };
}

export function toScope(scope: WireScope): Scope {
  return {
    id: scope.id,
    type: (scope.type ?? scopeTypeOf(scope.id)) as ScopeType,
    name: scope.name,
    description: scope.description,
    // The full resource names its parent `scope_id`; the embedded info calls it `parent_scope_id`.
    parentScopeId: scope.scope_id,
    scopeId: scope.scope_id,
    complete: true,
    createdTime: scope.created_time,
    updatedTime: scope.updated_time,
    version: scope.version,
    primaryAuthMethodId: scope.primary_auth_method_id,
    authorizedActions: scope.authorized_actions ?? [],
    authorizedCollectionActions: scope.authorized_collection_actions,
    storagePolicyId: scope.storage_policy_id,
  };
}

function scopeTypeOf(id: string): ScopeType {
  if (id === "global") return ScopeType.GLOBAL;
  return id.startsWith("o_") ? ScopeType.ORG : ScopeType.PROJECT;
}

export function toConnection(c: WireConnection): Connection {
  return {
    clientTcpAddress: c.client_tcp_address,
    clientTcpPort: c.client_tcp_port,
    endpointTcpAddress: c.endpoint_tcp_address,
    endpointTcpPort: c.endpoint_tcp_port,
    bytesUp: toCount(c.bytes_up),
    bytesDown: toCount(c.bytes_down),
    closedReason: c.closed_reason,
  };
}

/** 64-bit counts come as strings; SafeInt refuses (as a field error) any beyond 2^53. */
function toCount(value: string | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/**
 * `withConnections` says whether the wire session came from a read, which carries connections (absent
 * = none), or from a list or an effective cancel, which never do (absent = unknown).
 */
export function toSession(s: WireSession, withConnections: boolean): Session {
  const states = (s.states ?? []).map((st) => ({
    status: st.status as SessionStatus,
    startTime: st.start_time,
    endTime: st.end_time,
  }));
  return {
    id: s.id,
    targetId: s.target_id,
    scopeId: s.scope_id ?? s.scope?.id ?? "",
    createdTime: s.created_time,
    updatedTime: s.updated_time,
    version: s.version ?? 0,
    type: s.type,
    expirationTime: s.expiration_time,
    authTokenId: s.auth_token_id,
    userId: s.user_id,
    hostSetId: s.host_set_id,
    hostId: s.host_id,
    endpoint: s.endpoint,
    states,
    status: (s.status ?? states[0]?.status) as SessionStatus,
    certificate: s.certificate,
    terminationReason: s.termination_reason,
    authorizedActions: s.authorized_actions ?? [],
    scopeInfo: s.scope ? toScopeFromInfo(s.scope) : undefined,
    connectionList: withConnections ? (s.connections ?? []).map(toConnection) : undefined,
  };
}

/** A session from a listing (no connections). */
export const listed = (s: WireSession): Session => toSession(s, false);

export function toSessionPage(listing: SessionListing<Session>): SessionPage {
  return {
    items: listing.items,
    listToken: listing.listToken,
    responseType: listing.responseType === "delta" ? ListResponseType.DELTA : ListResponseType.COMPLETE,
    hasNextPage: listing.responseType === "delta",
    removedIds: listing.removedIds,
    estItemCount: toEstimate(listing.estItemCount),
    sortBy: listing.sortBy,
    sortDir: listing.sortDir,
  };
}

/**
 * The controller sends `est_item_count` as a uint32 cast of Postgres' `reltuples`
 * (internal/daemon/controller/handlers/sessions/session_service.go), which is -1 on a table never
 * analysed, so 4294967295. Anything beyond GraphQL's Int is no real count: unknown, not a field error.
 */
function toEstimate(n: number | undefined): number | undefined {
  return n === undefined || !Number.isInteger(n) || n < 0 || n > 0x7fffffff ? undefined : n;
}

/** Full resources embed their scope's info; absent, the scope is loaded by id when selected. */
function scopeInfoOf(info: WireScopeInfo | undefined): Scope | undefined {
  return info ? toScopeFromInfo(info) : undefined;
}

function toPluginInfo(p: WirePluginInfo | undefined): PluginInfo | undefined {
  return p ? { id: p.id, name: p.name, description: p.description } : undefined;
}

function toCredentialSource(c: WireCredentialSource): CredentialSource {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    credentialStoreId: c.credential_store_id,
    type: c.type,
    credentialType: c.credential_type,
  };
}

export function toTarget(t: WireTarget): Target {
  return {
    id: t.id,
    scopeId: t.scope_id ?? t.scope?.id ?? "",
    name: t.name,
    description: t.description,
    createdTime: t.created_time,
    updatedTime: t.updated_time,
    version: t.version ?? 0,
    type: t.type,
    hostSourceIds: t.host_source_ids ?? [],
    hostSources: (t.host_sources ?? []).flatMap((h) => (h.id ? [{ id: h.id, hostCatalogId: h.host_catalog_id }] : [])),
    sessionMaxSeconds: t.session_max_seconds,
    sessionConnectionLimit: t.session_connection_limit,
    egressWorkerFilter: t.egress_worker_filter,
    ingressWorkerFilter: t.ingress_worker_filter,
    workerFilter: t.worker_filter,
    brokeredCredentialSourceIds: t.brokered_credential_source_ids ?? [],
    injectedApplicationCredentialSourceIds: t.injected_application_credential_source_ids ?? [],
    brokeredCredentialSources: (t.brokered_credential_sources ?? []).map(toCredentialSource),
    injectedApplicationCredentialSources: (t.injected_application_credential_sources ?? []).map(toCredentialSource),
    attributes: t.attributes,
    defaultPort: t.attributes?.default_port,
    defaultClientPort: t.attributes?.default_client_port,
    address: t.address,
    aliases: (t.aliases ?? []).flatMap((a) => (a.id ? [{ id: a.id, value: a.value, scopeId: a.scope_id }] : [])),
    authorizedActions: t.authorized_actions ?? [],
    scopeInfo: scopeInfoOf(t.scope),
  };
}

export function toUser(u: WireUser): User {
  return {
    id: u.id,
    scopeId: u.scope_id ?? u.scope?.id ?? "",
    name: u.name,
    description: u.description,
    createdTime: u.created_time,
    updatedTime: u.updated_time,
    version: u.version ?? 0,
    accountIds: u.account_ids ?? [],
    accounts: (u.accounts ?? []).flatMap((a) => (a.id ? [{ id: a.id, scopeId: a.scope_id }] : [])),
    loginName: u.login_name,
    fullName: u.full_name,
    email: u.email,
    primaryAccountId: u.primary_account_id,
    authorizedActions: u.authorized_actions ?? [],
    scopeInfo: scopeInfoOf(u.scope),
  };
}

export function toHost(h: WireHost): Host {
  return {
    id: h.id,
    hostCatalogId: h.host_catalog_id,
    plugin: toPluginInfo(h.plugin),
    name: h.name,
    description: h.description,
    createdTime: h.created_time,
    updatedTime: h.updated_time,
    version: h.version ?? 0,
    type: h.type,
    hostSetIds: h.host_set_ids ?? [],
    address: h.attributes?.address,
    attributes: h.attributes,
    ipAddresses: h.ip_addresses ?? [],
    dnsNames: h.dns_names ?? [],
    externalId: h.external_id,
    externalName: h.external_name,
    authorizedActions: h.authorized_actions ?? [],
    scopeInfo: scopeInfoOf(h.scope),
  };
}

export function toHostSet(hs: WireHostSet): HostSet {
  return {
    id: hs.id,
    hostCatalogId: hs.host_catalog_id,
    plugin: toPluginInfo(hs.plugin),
    name: hs.name,
    description: hs.description,
    createdTime: hs.created_time,
    updatedTime: hs.updated_time,
    version: hs.version ?? 0,
    type: hs.type,
    hostIds: hs.host_ids ?? [],
    preferredEndpoints: hs.preferred_endpoints ?? [],
    syncIntervalSeconds: hs.sync_interval_seconds,
    attributes: hs.attributes,
    authorizedActions: hs.authorized_actions ?? [],
    scopeInfo: scopeInfoOf(hs.scope),
  };
}

export function toAuthToken(t: WireAuthToken): AuthToken {
  return {
    id: t.id,
    scopeId: t.scope_id ?? t.scope?.id ?? "",
    userId: t.user_id,
    authMethodId: t.auth_method_id,
    accountId: t.account_id,
    createdTime: t.created_time,
    updatedTime: t.updated_time,
    approximateLastUsedTime: t.approximate_last_used_time,
    expirationTime: t.expiration_time,
    authorizedActions: t.authorized_actions ?? [],
    scopeInfo: scopeInfoOf(t.scope),
  };
}
