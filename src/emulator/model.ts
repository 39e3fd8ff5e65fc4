/** The emulator's internal records. Times are epoch microseconds (see time.ts); wire shapes live in wire.ts. */
import type { WireScopeInfo } from "../boundary/wire.js";

export type SessionStatus = "pending" | "active" | "canceling" | "terminated";
export type ScopeType = "global" | "org" | "project";
export type UserKind = "admin" | "user" | "limited";

export interface ScopeRec {
  id: string;
  type: ScopeType;
  parentId?: string;
  name: string;
  description?: string;
  createdUs: number;
  updatedUs: number;
  version: number;
  primaryAuthMethodId?: string;
  /** The ScopeInfo other resources embed, built once. */
  info: WireScopeInfo;
  children: string[];
}

export interface UserRec {
  id: string;
  kind: UserKind;
  name: string;
  description?: string;
  loginName: string;
  fullName: string;
  email: string;
  accountId: string;
  authMethodId: string;
  createdUs: number;
  updatedUs: number;
  version: number;
}

export interface AuthTokenRec {
  id: string;
  /** The full bearer value, `at_<10>_s1<base58>`. */
  token: string;
  userId: string;
  accountId: string;
  authMethodId: string;
  createdUs: number;
  updatedUs: number;
  lastUsedUs: number;
  expirationUs: number;
}

export interface TargetRec {
  id: string;
  projectId: string;
  name: string;
  description?: string;
  createdUs: number;
  updatedUs: number;
  version: number;
  defaultPort: number;
  sessionMaxSeconds: number;
  /** -1 means unlimited. */
  connectionLimit: number;
  hostSetIds: string[];
  catalogId?: string;
  /** Direct-address targets have no host sources. */
  address?: string;
  /** Deleted before the emulator started: only its sessions remember it (without `target_id`). */
  deleted: boolean;
}

export interface HostSetRec {
  id: string;
  catalogId: string;
  projectId: string;
  name: string;
  description?: string;
  hostIds: string[];
  createdUs: number;
  updatedUs: number;
  version: number;
}

export interface HostRec {
  id: string;
  catalogId: string;
  projectId: string;
  name: string;
  description?: string;
  address: string;
  hostSetIds: string[];
  createdUs: number;
  updatedUs: number;
  version: number;
}

export interface StateRec {
  status: SessionStatus;
  startUs: number;
  endUs?: number;
}

export interface ConnectionRec {
  clientAddress: string;
  clientPort: number;
  endpointAddress: string;
  endpointPort: number;
  bytesUp: number;
  bytesDown: number;
  closedReason?: string;
}

export interface SessionRec {
  id: string;
  projectId: string;
  /** Absent once the target is deleted (and `type` with it). */
  targetId?: string;
  targetType: string;
  userId?: string;
  authTokenId?: string;
  hostSetId?: string;
  hostId?: string;
  endpoint: string;
  createdUs: number;
  updatedUs: number;
  version: number;
  expirationUs: number;
  /** Newest first; `states[0]` is the current one. */
  states: StateRec[];
  terminationReason?: string;
  /** Seed of the certificate bytes, so 100k sessions do not each hold a certificate until read. */
  certSeed: number;
  /** Newest first. */
  connections: ConnectionRec[];
  /** When the canceling -> terminated transition falls due (after an API cancel). */
  cancelDueUs?: number;
  /** Cached JSON of the caller-independent fields, without the closing brace. Cleared on every change. */
  json?: string;
}

export interface World {
  scopes: Map<string, ScopeRec>;
  /** Ids in creation order: global, then each org followed by its projects. */
  scopeOrder: string[];
  users: Map<string, UserRec>;
  authMethodId: string;
  authTokens: Map<string, AuthTokenRec>;
  targets: Map<string, TargetRec>;
  hostSets: Map<string, HostSetRec>;
  hosts: Map<string, HostRec>;
  /** Sorted by (createdUs, id) ascending. */
  sessions: SessionRec[];
  /** Seed of the stream that names sessions created later (store.createSession). */
  sessionIdSeed: number;
}
