/**
 * The resources a session points at, declared once: the cost table charges each field what reading
 * its kind costs. Plain data (no decorators), so the limits can load it before the schema is built.
 */
import type { ResourceKind } from "../../boundary/resources.js";

/** A session's neighbour fields, the kind each reads and the session field holding its id. */
export const SESSION_NEIGHBOURS = {
  target: { kind: "target", idField: "targetId" },
  user: { kind: "user", idField: "userId" },
  host: { kind: "host", idField: "hostId" },
  hostSet: { kind: "hostSet", idField: "hostSetId" },
  authToken: { kind: "authToken", idField: "authTokenId" },
} as const satisfies Record<string, { kind: ResourceKind; idField: string }>;
