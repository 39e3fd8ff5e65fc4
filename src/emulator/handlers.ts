/**
 * The emulated endpoints, free of HTTP plumbing: each takes the parsed request and returns a status and
 * a JSON body, or throws an ApiError. Check order follows the controller's handlers
 * (hashicorp/boundary internal/daemon/controller/handlers/sessions/session_service.go).
 */
import type { Principal, ResourceType } from "./auth.js";
import { denied, forbidden, internal, invalidArgument, invalidListToken, notFound } from "./errors.js";
import { type ItemPredicate, compileListFilter, matches } from "./filtering.js";
import { type ListResourceType, type ListToken, ListTokenError } from "./listtoken.js";
import type { ScopeRec, SessionRec } from "./model.js";
import { type Keyed, type PageOutput, listPage } from "./paginate.js";
import type { Store } from "./store.js";
import { formatTimestamp } from "./time.js";

export interface Reply {
  status: number;
  body: string;
}

export interface ApiRequest {
  principal: Principal;
  query: URLSearchParams;
  body: Buffer;
}

const ok = (body: string): Reply => ({ status: 200, body });

const SESSION_ID = /^s_[A-Za-z0-9]+$/;
const PROJECT_ID = /^p_[A-Za-z0-9]+$/;
const ORG_ID = /^o_[A-Za-z0-9]+$/;

export class Handlers {
  constructor(
    private readonly store: Store,
    private readonly maxPageSize: number,
    /** A controller before 0.15: no pagination (see EmulatorOptions.prePagination). */
    private readonly prePagination = false,
  ) {}

  // ---- GET /v1/sessions ----

  listSessions(req: ApiRequest): Reply {
    const q = req.query;
    // grpc-gateway parses every parameter before the handler runs; a bad value is a 500 (§1).
    const scopeId = stringParam(q, "scope_id") ?? "";
    const recursive = boolParam(q, "recursive");
    const filterSource = stringParam(q, "filter");
    const includeTerminated = boolParam(q, "include_terminated");
    const pageSize = this.pageSize(q);
    const listToken = stringParam(q, "list_token");

    const bad: Record<string, string> = {};
    if (!recursive && !PROJECT_ID.test(scopeId)) {
      bad.scope_id = "This field must be a valid project scope ID or the list operation must be recursive.";
    }
    let predicate: ItemPredicate | undefined;
    // Boundary builds a filter only from a non-empty string: `filter=` means no filter.
    if (filterSource !== undefined && filterSource !== "") {
      const f = compileListFilter(filterSource, "session");
      if (f.error) bad.filter = f.error;
      predicate = f.predicate;
    }
    if (Object.keys(bad).length > 0) throw invalidArgument("Improperly formatted identifier.", bad);
    if (scopeId === "") throw internal("scopeids.GetListingResourceInformation: missing scope id");
    if (!this.store.world.scopes.has(scopeId)) throw notFound();

    const p = req.principal;
    if (!recursive && !p.collectionActions("session", scopeId).includes("list")) throw denied(p.anonymous);
    // Recursive listing keeps the projects where the caller may list; none at all is a 403, even for
    // the anonymous user.
    const listable = new Map<string, { selfOnly: boolean }>();
    for (const pid of this.store.projectsUnder(scopeId)) {
      if (p.collectionActions("session", pid).includes("list")) listable.set(pid, { selfOnly: p.selfOnlySessions(pid) });
    }
    if (listable.size === 0) throw forbidden();

    const token = this.parseToken(listToken, "session", p);
    const store = this.store;
    const actionsOf = (s: SessionRec) => store.sessionActions(p, s);
    const sqlClause = (s: SessionRec): boolean => {
      const proj = listable.get(s.projectId);
      if (!proj) return false;
      if (!includeTerminated && s.terminationReason !== undefined) return false;
      return !proj.selfOnly || s.userId === p.userId;
    };
    // With a filter, rows without any authorized action or not matching are skipped before the page
    // is cut, so filtered pages are full; without one they are dropped after the cut.
    const accept = predicate
      ? (s: SessionRec) => {
          if (!sqlClause(s)) return false;
          const actions = actionsOf(s);
          return actions.length > 0 && matches(predicate, store.sessionFilterItem(s, actions));
        }
      : sqlClause;

    const page = listPage<SessionRec>({
      token,
      resourceType: "session",
      grantsHash: p.grantsHash(),
      nowUs: store.nowUs(),
      pageSize,
      byCreated: store.sessionsByCreated,
      byUpdated: store.sessionsByUpdated,
      deleted: store.deletedSessions,
      accept,
    });
    const items: string[] = [];
    for (const s of page.items) {
      const actions = actionsOf(s);
      if (actions.length > 0) items.push(store.sessionJson(s, actions, false));
    }
    return ok(this.envelope(page, items, store.sessionEstimate ?? store.sessionsById.size));
  }

  // ---- GET /v1/sessions/{id} ----

  getSession(req: ApiRequest, id: string): Reply {
    if (!SESSION_ID.test(id)) throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    const s = this.store.sessionsById.get(id);
    // The lookup comes before the permission check: an unknown id is 404 even for the anonymous user.
    if (!s) throw notFound();
    const p = req.principal;
    const owner = s.userId !== undefined && s.userId === p.userId;
    if (!p.allows("session", s.projectId, "read", owner)) throw denied(p.anonymous);
    return ok(this.store.sessionJson(s, this.store.sessionActions(p, s), true));
  }

  // ---- POST /v1/sessions/{id}:cancel ----

  cancelSession(req: ApiRequest, id: string): Reply {
    const version = parseCancelBody(req.body);
    const bad: Record<string, string> = {};
    if (!SESSION_ID.test(id)) bad.id = "Improperly formatted identifier.";
    if (version === 0) bad.version = "Required field.";
    // The cancel validator's own text (sessions/session_service.go validateCancelRequest), not the
    // generic one of the read validators.
    if (Object.keys(bad).length > 0) throw invalidArgument("Improperly formatted identifier.", bad);
    const s = this.store.sessionsById.get(id);
    if (!s) throw notFound();
    const p = req.principal;
    const owner = s.userId !== undefined && s.userId === p.userId;
    if (!p.allows("session", s.projectId, "cancel", owner)) throw denied(p.anonymous);
    const result = this.store.cancel(s, version);
    if (result === "stale") {
      // The optimistic-lock UPDATE touches no row; the controller surfaces that as a 500, not a 409.
      throw internal(
        `session.(Repository).CancelSession: session.(Repository).updateState: updated session and 0 rows updated: db.Exec: multiple records: error #1101`,
      );
    }
    // An effective cancel answers without connections; a no-op one returns the session as a read does.
    return ok(this.store.sessionJson(s, this.store.sessionActions(p, s), result === "noop"));
  }

  // ---- GET /v1/scopes ----

  listScopes(req: ApiRequest): Reply {
    const q = req.query;
    const scopeId = stringParam(q, "scope_id") || "global";
    const recursive = boolParam(q, "recursive");
    const filterSource = stringParam(q, "filter");
    const pageSize = this.pageSize(q);
    const listToken = stringParam(q, "list_token");

    const bad: Record<string, string> = {};
    if (scopeId !== "global" && !ORG_ID.test(scopeId)) bad.scope_id = "Must be 'global' or a valid org scope id when listing.";
    let predicate: ItemPredicate | undefined;
    // Boundary builds a filter only from a non-empty string: `filter=` means no filter.
    if (filterSource !== undefined && filterSource !== "") {
      const f = compileListFilter(filterSource, "scope");
      if (f.error) bad.filter = f.error;
      predicate = f.predicate;
    }
    if (Object.keys(bad).length > 0) throw invalidArgument("Error in provided request.", bad);
    if (!this.store.world.scopes.has(scopeId)) throw notFound();

    const p = req.principal;
    if (!recursive && !p.collectionActions("scope", scopeId).includes("list")) throw denied(p.anonymous);
    const parents = new Set<string>();
    for (const sc of [this.store.world.scopes.get(scopeId)!, ...(recursive ? this.store.descendants(scopeId) : [])]) {
      if (sc.type !== "project" && p.collectionActions("scope", sc.id).includes("list")) parents.add(sc.id);
    }
    if (parents.size === 0) throw forbidden();

    const token = this.parseToken(listToken, "scope", p);
    const store = this.store;
    const sqlClause = (sc: ScopeRec) => sc.parentId !== undefined && parents.has(sc.parentId);
    const accept = predicate
      ? (sc: ScopeRec) => {
          if (!sqlClause(sc)) return false;
          const w = store.scopeWire(sc, p);
          return w.authorized_actions !== undefined && matches(predicate, w);
        }
      : sqlClause;
    const page = listPage<ScopeRec>({
      token,
      resourceType: "scope",
      grantsHash: p.grantsHash(),
      nowUs: store.nowUs(),
      pageSize,
      byCreated: store.scopesByCreated,
      byUpdated: store.scopesByUpdated,
      deleted: [],
      accept,
    });
    const items: string[] = [];
    for (const sc of page.items) {
      const w = store.scopeWire(sc, p);
      if (w.authorized_actions) items.push(JSON.stringify(w));
    }
    return ok(this.envelope(page, items, store.world.scopes.size));
  }

  // ---- single-resource reads ----

  getScope(req: ApiRequest, id: string): Reply {
    if (id !== "global" && !ORG_ID.test(id) && !PROJECT_ID.test(id)) {
      throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    }
    const sc = this.store.world.scopes.get(id);
    if (!sc) throw notFound();
    this.authorize(req.principal, "scope", sc.id, "read");
    return ok(JSON.stringify(this.store.scopeWire(sc, req.principal)));
  }

  getTarget(req: ApiRequest, id: string): Reply {
    // Anything that is not a target id could be an alias value; there are no aliases here.
    const t = /^ttcp_[A-Za-z0-9]+$/.test(id) ? this.store.world.targets.get(id) : undefined;
    if (!t || t.deleted) throw notFound();
    const p = req.principal;
    this.authorize(p, "target", t.projectId, "read");
    const w: Record<string, unknown> = { id: t.id, scope_id: t.projectId, scope: this.scopeInfo(t.projectId), name: t.name };
    if (t.description) w.description = t.description;
    Object.assign(w, this.times(t), { version: t.version, type: "tcp" });
    if (t.hostSetIds.length > 0) {
      w.host_source_ids = [...t.hostSetIds];
      w.host_sources = t.hostSetIds.map((hs) => ({ id: hs, host_catalog_id: t.catalogId }));
    }
    w.session_max_seconds = t.sessionMaxSeconds;
    w.session_connection_limit = t.connectionLimit;
    w.attributes = { default_port: t.defaultPort };
    this.actions(w, p.idActions("target", t.projectId));
    if (t.address) w.address = t.address;
    return ok(JSON.stringify(w));
  }

  getUser(req: ApiRequest, id: string): Reply {
    if (!/^u_[A-Za-z0-9]+$/.test(id)) throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    const u = this.store.world.users.get(id);
    if (!u) throw notFound();
    const p = req.principal;
    const self = u.id === p.userId;
    this.authorize(p, "user", "global", "read", false, self);
    const w: Record<string, unknown> = { id: u.id, scope_id: "global", scope: this.scopeInfo("global"), name: u.name };
    if (u.description) w.description = u.description;
    Object.assign(w, this.times(u), {
      version: u.version,
      account_ids: [u.accountId],
      accounts: [{ id: u.accountId, scope_id: "global" }],
    });
    this.actions(w, p.idActions("user", "global", self));
    Object.assign(w, { login_name: u.loginName, full_name: u.fullName, email: u.email, primary_account_id: u.accountId });
    return ok(JSON.stringify(w));
  }

  getHost(req: ApiRequest, id: string): Reply {
    if (!/^hst_[A-Za-z0-9]+$/.test(id)) throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    const h = this.store.world.hosts.get(id);
    if (!h) throw notFound();
    const p = req.principal;
    this.authorize(p, "host", h.projectId, "read");
    const w: Record<string, unknown> = { id: h.id, host_catalog_id: h.catalogId, scope: this.scopeInfo(h.projectId), name: h.name };
    if (h.description) w.description = h.description;
    Object.assign(w, this.times(h), {
      version: h.version,
      type: "static",
      host_set_ids: [...h.hostSetIds],
      attributes: { address: h.address },
    });
    this.actions(w, p.idActions("host", h.projectId));
    return ok(JSON.stringify(w));
  }

  getHostSet(req: ApiRequest, id: string): Reply {
    if (!/^hsst_[A-Za-z0-9]+$/.test(id)) throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    const hs = this.store.world.hostSets.get(id);
    if (!hs) throw notFound();
    const p = req.principal;
    this.authorize(p, "host-set", hs.projectId, "read");
    const w: Record<string, unknown> = { id: hs.id, host_catalog_id: hs.catalogId, scope: this.scopeInfo(hs.projectId), name: hs.name };
    if (hs.description) w.description = hs.description;
    Object.assign(w, this.times(hs), { version: hs.version, type: "static" });
    if (hs.hostIds.length > 0) w.host_ids = [...hs.hostIds];
    this.actions(w, p.idActions("host-set", hs.projectId));
    return ok(JSON.stringify(w));
  }

  getAuthToken(req: ApiRequest, id: string): Reply {
    if (!/^at_[A-Za-z0-9]+$/.test(id)) throw invalidArgument("Error in provided request.", { id: "Invalid formatted identifier." });
    const t = this.store.world.authTokens.get(id);
    if (!t) throw notFound();
    const p = req.principal;
    const owner = t.userId === p.userId;
    this.authorize(p, "auth-token", "global", "read", owner);
    const w: Record<string, unknown> = {
      id: t.id,
      scope_id: "global",
      scope: this.scopeInfo("global"),
      user_id: t.userId,
      auth_method_id: t.authMethodId,
      account_id: t.accountId,
      created_time: formatTimestamp(t.createdUs),
      updated_time: formatTimestamp(t.updatedUs),
      approximate_last_used_time: formatTimestamp(t.lastUsedUs),
      expiration_time: formatTimestamp(t.expirationUs),
    };
    this.actions(w, p.idActions("auth-token", "global"));
    return ok(JSON.stringify(w));
  }

  // ---- helpers ----

  private authorize(p: Principal, type: ResourceType, scopeId: string, action: string, owner = false, self = false): void {
    if (!p.allows(type, scopeId, action, owner, self)) throw denied(p.anonymous);
  }

  private scopeInfo(id: string) {
    return this.store.world.scopes.get(id)!.info;
  }

  private times(r: { createdUs: number; updatedUs: number }) {
    return { created_time: formatTimestamp(r.createdUs), updated_time: formatTimestamp(r.updatedUs) };
  }

  private actions(w: Record<string, unknown>, actions: readonly string[]): void {
    if (actions.length > 0) w.authorized_actions = [...actions];
  }

  /** 0 or absent means the maximum; larger values are capped silently. */
  private pageSize(q: URLSearchParams): number {
    // Before 0.15 the parameter did not exist: everything in one answer.
    if (this.prePagination) return Number.MAX_SAFE_INTEGER - 1;
    const n = uint32Param(q, "page_size") ?? 0;
    return n === 0 || n > this.maxPageSize ? this.maxPageSize : n;
  }

  private parseToken(text: string | undefined, type: ListResourceType, p: Principal): ListToken | undefined {
    if (text === undefined || this.prePagination) return undefined;
    try {
      return this.store.listTokens.decode(text, type, p.grantsHash(), this.store.nowUs());
    } catch (err) {
      if (err instanceof ListTokenError) throw err.reason === "invalid" ? invalidListToken(err.message) : internal(err.message);
      throw err;
    }
  }

  /** The list envelope (§3.3), assembled as text so a 1000-item page costs string joins only. */
  private envelope<R extends Keyed>(page: PageOutput<R>, items: string[], total: number): string {
    const parts: string[] = [];
    if (items.length > 0) parts.push(`"items":[${items.join(",")}]`);
    if (this.prePagination) return `{${parts.join(",")}}`;
    parts.push(`"response_type":"${page.complete ? "complete" : "delta"}"`);
    if (page.token) parts.push(`"list_token":"${this.store.listTokens.encode(page.token)}"`);
    parts.push(`"sort_by":"${page.sortBy}"`, `"sort_dir":"desc"`);
    if (page.removedIds.length > 0) parts.push(`"removed_ids":${JSON.stringify(page.removedIds)}`);
    // Exact only when the first call is already complete; otherwise the table-wide estimate.
    const est = page.initial && page.complete ? items.length : total;
    if (est > 0) parts.push(`"est_item_count":${est}`);
    return `{${parts.join(",")}}`;
  }
}

// ---- grpc-gateway query and body parsing ----

function single(q: URLSearchParams, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length > 1) throw internal(`too many values for field "${name}": ${all.join(", ")}`);
  return all[0];
}

function stringParam(q: URLSearchParams, name: string): string | undefined {
  const v = single(q, name);
  return v === undefined || v === "" ? undefined : v;
}

const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** Go's strconv.ParseBool; anything else is the gateway's 500. */
function boolParam(q: URLSearchParams, name: string): boolean {
  const v = single(q, name);
  if (v === undefined) return false;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw internal(`parsing field "${name}": strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function uint32Param(q: URLSearchParams, name: string): number | undefined {
  const v = single(q, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw internal(`parsing field "${name}": strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (n > 0xffffffff) throw internal(`parsing field "${name}": strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

/** `{"version": 3}` or `{"version": "3"}` (protojson); an unparsable body is the gateway's 500. */
function parseCancelBody(body: Buffer): number {
  const text = body.toString("utf8");
  if (text.trim() === "") return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw internal(`proto: syntax error: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw internal(`proto: syntax error (line 1:1): unexpected token ${text.trim().slice(0, 16)}`);
  }
  const v = (parsed as Record<string, unknown>).version;
  if (v === undefined || v === null) return 0;
  const n = typeof v === "number" ? v : typeof v === "string" && /^[0-9]+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw internal(`proto: (line 1:12): invalid value for uint32 field version: ${JSON.stringify(v)}`);
  }
  return n;
}
