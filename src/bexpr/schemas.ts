/** The Go types behind the JSON of the resources Boundary filters (sessions, scopes), as the filter sees them. */
import type { FieldSchema, FieldType } from "./types.js";

const STRING: FieldType = { kind: "string" };
const TIMESTAMP: FieldType = { kind: "timestamp" };
const UINT32: FieldType = { kind: "number", type: "uint32" };
const INT64: FieldType = { kind: "number", type: "int64" };

/** `resources.scopes.v1.ScopeInfo`. */
export const SCOPE_INFO_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  type: STRING,
  name: STRING,
  description: STRING,
  parent_scope_id: STRING,
});

/** `resources.sessions.v1.Session`. */
export const SESSION_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  target_id: STRING,
  scope: { kind: "object", fields: SCOPE_INFO_FIELDS },
  created_time: TIMESTAMP,
  updated_time: TIMESTAMP,
  version: UINT32,
  type: STRING,
  expiration_time: TIMESTAMP,
  auth_token_id: STRING,
  user_id: STRING,
  host_set_id: STRING,
  host_id: STRING,
  scope_id: STRING,
  endpoint: STRING,
  states: {
    kind: "array",
    items: { kind: "object", fields: { status: STRING, start_time: TIMESTAMP, end_time: TIMESTAMP } },
  },
  status: STRING,
  certificate: { kind: "bytes" },
  termination_reason: STRING,
  authorized_actions: { kind: "array", items: STRING },
  connections: {
    kind: "array",
    items: {
      kind: "object",
      fields: {
        client_tcp_address: STRING,
        client_tcp_port: UINT32,
        endpoint_tcp_address: STRING,
        endpoint_tcp_port: UINT32,
        bytes_up: INT64,
        bytes_down: INT64,
        closed_reason: STRING,
      },
    },
  },
});

/** `resources.scopes.v1.Scope` (name, description and primary_auth_method_id are StringValue wrappers). */
export const SCOPE_FIELDS: FieldSchema = Object.freeze({
  id: STRING,
  scope_id: STRING,
  scope: { kind: "object", fields: SCOPE_INFO_FIELDS },
  name: STRING,
  description: STRING,
  created_time: TIMESTAMP,
  updated_time: TIMESTAMP,
  version: UINT32,
  type: STRING,
  primary_auth_method_id: STRING,
  authorized_actions: { kind: "array", items: STRING },
  authorized_collection_actions: { kind: "map", values: { kind: "listValue" } },
});
