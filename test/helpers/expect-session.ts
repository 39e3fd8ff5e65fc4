import { expect } from "vitest";
import type { WireSession } from "../../src/boundary/wire.js";

/** Every scalar field of Session, for queries that check the whole mapping. */
export const SESSION_FIELDS = `id targetId scopeId createdTime updatedTime version type expirationTime authTokenId
  userId hostSetId hostId endpoint status certificate terminationReason authorizedActions
  states { status startTime endTime }`;

export const CONNECTION_FIELDS = `clientTcpAddress clientTcpPort endpointTcpAddress endpointTcpPort bytesUp bytesDown closedReason`;

/** Read a resource straight from the controller (the emulator), bypassing the gateway. */
export async function readDirect<T = WireSession>(baseUrl: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** Assert that a GraphQL Session carries exactly the wire session's values under camelCase names. */
export function expectSessionMapped(gql: Record<string, any>, wire: WireSession): void {
  expect(gql.id).toBe(wire.id);
  expect(gql.targetId).toBe(wire.target_id ?? null);
  expect(gql.scopeId).toBe(wire.scope_id);
  expect(gql.createdTime).toBe(wire.created_time);
  expect(gql.updatedTime).toBe(wire.updated_time);
  expect(gql.version).toBe(wire.version);
  expect(gql.type).toBe(wire.type ?? null);
  expect(gql.expirationTime).toBe(wire.expiration_time ?? null);
  expect(gql.authTokenId).toBe(wire.auth_token_id ?? null);
  expect(gql.userId).toBe(wire.user_id ?? null);
  expect(gql.hostSetId).toBe(wire.host_set_id ?? null);
  expect(gql.hostId).toBe(wire.host_id ?? null);
  expect(gql.endpoint).toBe(wire.endpoint ?? null);
  expect(gql.status).toBe(wire.status!.toUpperCase());
  expect(gql.certificate).toBe(wire.certificate ?? null);
  expect(gql.terminationReason).toBe(wire.termination_reason ?? null);
  // Boundary's authorized_actions come in Go map order: compare as sets.
  expect([...gql.authorizedActions].sort()).toEqual([...(wire.authorized_actions ?? [])].sort());
  expect(gql.states).toEqual(
    (wire.states ?? []).map((s) => ({ status: s.status.toUpperCase(), startTime: s.start_time, endTime: s.end_time ?? null })),
  );
}

export function expectConnectionsMapped(gql: Record<string, any>[], wire: WireSession): void {
  expect(gql).toEqual(
    (wire.connections ?? []).map((c) => ({
      clientTcpAddress: c.client_tcp_address ?? null,
      clientTcpPort: c.client_tcp_port ?? null,
      endpointTcpAddress: c.endpoint_tcp_address ?? null,
      endpointTcpPort: c.endpoint_tcp_port ?? null,
      bytesUp: Number(c.bytes_up ?? 0),
      bytesDown: Number(c.bytes_down ?? 0),
      closedReason: c.closed_reason ?? null,
    })),
  );
}
