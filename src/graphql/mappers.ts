/**
 * The only place where the controller's wire names become schema names. Absent wire fields are
 * protojson zero values: absent arrays become [], absent byte counts 0, absent strings null.
 */
import type { WireConnection, WireScope, WireScopeInfo, WireSession } from "../boundary/wire.js";
import type { SessionListing } from "../boundary/sessions.js";
import type { Connection } from "./types/connection.type.js";
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
    complete: true,
    createdTime: scope.created_time,
    updatedTime: scope.updated_time,
    version: scope.version,
    primaryAuthMethodId: scope.primary_auth_method_id,
    authorizedActions: scope.authorized_actions ?? [],
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

export function toSessionPage(listing: SessionListing): SessionPage {
  return {
    items: listing.items.map((s) => toSession(s, false)),
    listToken: listing.listToken,
    responseType: listing.responseType === "delta" ? ListResponseType.DELTA : ListResponseType.COMPLETE,
    hasNextPage: listing.responseType === "delta",
    removedIds: listing.removedIds,
    estItemCount: listing.estItemCount,
    sortBy: listing.sortBy,
    sortDir: listing.sortDir,
  };
}
