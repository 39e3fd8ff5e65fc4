import { registerEnumType } from "type-graphql";

/** Values are the controller's wire strings, so mapping a status is the identity. */
export enum SessionStatus {
  PENDING = "pending",
  ACTIVE = "active",
  CANCELING = "canceling",
  TERMINATED = "terminated",
}

registerEnumType(SessionStatus, {
  name: "SessionStatus",
  description: "Where a session is in its lifecycle: pending -> active -> canceling -> terminated (any may go straight to terminated).",
  valuesConfig: {
    PENDING: { description: "Authorized, no connection made yet." },
    ACTIVE: { description: "At least one connection has been made." },
    CANCELING: { description: "Cancelled; workers are closing its connections. Becomes TERMINATED shortly." },
    TERMINATED: { description: "Over; `terminationReason` says why. Final." },
  },
});

export enum ScopeType {
  GLOBAL = "global",
  ORG = "org",
  PROJECT = "project",
}

registerEnumType(ScopeType, {
  name: "ScopeType",
  description: "The level of a scope in Boundary's hierarchy: global -> org -> project.",
  valuesConfig: {
    GLOBAL: { description: "The single root scope, id `global`." },
    ORG: { description: "An organization, id `o_…`; its parent is global." },
    PROJECT: { description: "A project, id `p_…`; its parent is an org. Sessions live in projects." },
  },
});

export enum ListResponseType {
  COMPLETE = "complete",
  DELTA = "delta",
}

registerEnumType(ListResponseType, {
  name: "ListResponseType",
  description: "Whether a listing reached the end of its phase (the initial listing or one refresh round).",
  valuesConfig: {
    COMPLETE: { description: "The end of the phase: keep `listToken` and pass it as `after` later to get only what changed." },
    DELTA: { description: "More items follow: pass `listToken` as `after` to get them." },
  },
});
