/**
 * What an operation costs the controller, in upstream reads, estimated by type and field name before
 * anything runs. Names rather than field extensions, so the same table serves the federation subgraph
 * (whose rebuild drops extensions). By-id reads cost what the resource registry says.
 */
import type { ComplexityEstimator } from "graphql-query-complexity";
import { RESOURCES, RESOURCE_KINDS } from "../boundary/resources.js";
import { SESSION_NEIGHBOURS } from "./resolvers/neighbours.js";

const session = RESOURCES.session.cost;
const scope = RESOURCES.scope.cost;

/**
 * Upstream reads a field costs, by `Type.field`. A field not named here costs nothing by itself: it is
 * read from its parent's data (embedded scope info, list items). Over-estimating is the safe side.
 */
export const FIELD_COST: Readonly<Record<string, number>> = {
  "Query.session": session,
  "Query.scope": scope,
  // The prefix picks the kind only at run time: charge the dearest.
  "Query.node": Math.max(...RESOURCE_KINDS.map((k) => RESOURCES[k].cost)),
  // A read of the current version, then the cancel.
  "Mutation.cancelSession": session + 1,
  "Subscription.sessionUpdated": session,
  "Session.connections": session,
  ...Object.fromEntries(Object.entries(SESSION_NEIGHBOURS).map(([field, n]) => [`Session.${field}`, RESOURCES[n.kind].cost])),
  // Each of these needs the scope read in full (the embedded scope info lacks them).
  "Scope.parent": scope,
  "Scope.createdTime": scope,
  "Scope.updatedTime": scope,
  "Scope.version": scope,
  "Scope.primaryAuthMethodId": scope,
  "Scope.authorizedActions": scope,
  "Scope.authorizedCollectionActions": scope,
  "Scope.storagePolicyId": scope,
};

/** Fields returning a page of sessions: their items multiply what is selected inside them. */
export const LIST_FIELDS: ReadonlySet<string> = new Set(["Query.sessions", "Scope.sessions", "User.sessions"]);

/** Boundary's largest page, for counting the list calls of a listing. */
const UPSTREAM_PAGE = 1000;

export function createCostEstimator(maxListItems: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const key = `${type.name}.${field.name}`;
    if (LIST_FIELDS.has(key)) {
      // Without `first` a listing may gather MAX_LIST_ITEMS sessions, so that is what it is charged.
      const items = typeof args.first === "number" && args.first > 0 ? Math.min(args.first, maxListItems) : maxListItems;
      return Math.ceil(items / UPSTREAM_PAGE) + items * childComplexity;
    }
    // Costed per event, for one item's selection: after the first event an event holds only what
    // changed, and neighbours are read once per distinct id per event. (The first event's
    // `connections`, one read per listed session, is what this under-counts.)
    if (key === "Subscription.sessionsChanged") return Math.ceil(maxListItems / UPSTREAM_PAGE) + childComplexity;
    if (key === "Query.nodes") return (Array.isArray(args.ids) ? args.ids.length : 1) * (1 + childComplexity);
    if (key === "Query._entities") {
      return (Array.isArray(args.representations) ? args.representations.length : 1) * (1 + childComplexity);
    }
    return (FIELD_COST[key] ?? 0) + childComplexity;
  };
}
