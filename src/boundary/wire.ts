/**
 * JSON shapes exactly as the Boundary controller sends them: snake_case, zero values omitted (so every
 * field but `id` is optional), 64-bit integers as strings, timestamps as RFC 3339 strings.
 * Shared by the upstream client and the emulator; nothing here knows GraphQL.
 */

export interface WireScopeInfo {
  id: string;
  type: "global" | "org" | "project";
  name?: string;
  description?: string;
  parent_scope_id?: string;
}

export interface WireSessionState {
  status: "pending" | "active" | "canceling" | "terminated";
  start_time: string;
  end_time?: string;
}

export interface WireConnection {
  client_tcp_address?: string;
  client_tcp_port?: number;
  endpoint_tcp_address?: string;
  endpoint_tcp_port?: number;
  bytes_up?: string;
  bytes_down?: string;
  closed_reason?: string;
}

export interface WireSession {
  id: string;
  target_id?: string;
  scope?: WireScopeInfo;
  created_time?: string;
  updated_time?: string;
  version?: number;
  type?: string;
  expiration_time?: string;
  auth_token_id?: string;
  user_id?: string;
  host_set_id?: string;
  host_id?: string;
  scope_id?: string;
  endpoint?: string;
  states?: WireSessionState[];
  status?: string;
  certificate?: string;
  termination_reason?: string;
  authorized_actions?: string[];
  connections?: WireConnection[];
}


/** `GET /v1/scopes/{id}`: the full Scope resource. `scope_id`/`scope` describe the parent (absent for global). */
export interface WireScope {
  id: string;
  scope_id?: string;
  scope?: WireScopeInfo;
  name?: string;
  description?: string;
  created_time?: string;
  updated_time?: string;
  version?: number;
  type?: "global" | "org" | "project";
  primary_auth_method_id?: string;
  authorized_actions?: string[];
  authorized_collection_actions?: Record<string, string[]>;
  storage_policy_id?: string;
}

/** The list envelope of `GET /v1/sessions` (and of every other list endpoint, with its own item type). */
export interface WireListResponse<T> {
  items?: T[];
  response_type?: "delta" | "complete";
  list_token?: string;
  sort_by?: string;
  sort_dir?: string;
  removed_ids?: string[];
  est_item_count?: number;
}

/** The controller's error body (`{kind, op, message, details}`), every field optional. */
export interface WireError {
  kind?: string;
  op?: string;
  message?: string;
  details?: {
    request_fields?: { name?: string; description?: string }[];
    wrapped_errors?: { op?: string; message?: string }[];
  };
}
