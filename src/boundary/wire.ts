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

/** A plugin's info, embedded in plugin-based hosts and host sets. */
export interface WirePluginInfo {
  id?: string;
  name?: string;
  description?: string;
}

/** The fields every editable resource carries (targets, users, hosts, host sets). */
export interface WireResource {
  id: string;
  scope?: WireScopeInfo;
  name?: string;
  description?: string;
  created_time?: string;
  updated_time?: string;
  version?: number;
  authorized_actions?: string[];
}

/** `GET /v1/targets/{id}`. `attributes` holds the type's settings (tcp: ports). */
export interface WireTarget extends WireResource {
  scope_id?: string;
  type?: string;
  host_source_ids?: string[];
  host_sources?: { id?: string; host_catalog_id?: string }[];
  session_max_seconds?: number;
  session_connection_limit?: number;
  egress_worker_filter?: string;
  ingress_worker_filter?: string;
  worker_filter?: string;
  brokered_credential_source_ids?: string[];
  injected_application_credential_source_ids?: string[];
  brokered_credential_sources?: WireCredentialSource[];
  injected_application_credential_sources?: WireCredentialSource[];
  /** The type's settings; for tcp `default_port` and `default_client_port`. */
  attributes?: { default_port?: number; default_client_port?: number } & Record<string, unknown>;
  address?: string;
  aliases?: { id?: string; value?: string; scope_id?: string }[];
}

/** A target's credential library or credential, as embedded in the target. */
export interface WireCredentialSource {
  id?: string;
  name?: string;
  description?: string;
  credential_store_id?: string;
  type?: string;
  credential_type?: string;
}

/** `GET /v1/users/{id}`. */
export interface WireUser extends WireResource {
  scope_id?: string;
  account_ids?: string[];
  accounts?: { id?: string; scope_id?: string }[];
  login_name?: string;
  full_name?: string;
  email?: string;
  primary_account_id?: string;
}

/** `GET /v1/hosts/{id}`. No `scope_id`: `scope` is the project of its host catalog. */
export interface WireHost extends WireResource {
  host_catalog_id?: string;
  plugin?: WirePluginInfo;
  type?: string;
  host_set_ids?: string[];
  /** Static hosts: `{ address }`; plugin hosts: the provider's. */
  attributes?: { address?: string } & Record<string, unknown>;
  ip_addresses?: string[];
  dns_names?: string[];
  external_id?: string;
  external_name?: string;
}

/** `GET /v1/host-sets/{id}`. No `scope_id`: `scope` is the project of its host catalog. */
export interface WireHostSet extends WireResource {
  host_catalog_id?: string;
  plugin?: WirePluginInfo;
  type?: string;
  host_ids?: string[];
  preferred_endpoints?: string[];
  sync_interval_seconds?: number;
  attributes?: Record<string, unknown>;
}

/** `GET /v1/auth-tokens/{id}`. The `token` secret is only ever sent by the authenticate call. */
export interface WireAuthToken {
  id: string;
  scope_id?: string;
  scope?: WireScopeInfo;
  user_id?: string;
  auth_method_id?: string;
  account_id?: string;
  created_time?: string;
  updated_time?: string;
  approximate_last_used_time?: string;
  expiration_time?: string;
  authorized_actions?: string[];
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
