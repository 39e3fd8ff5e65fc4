/**
 * The benchmark's reference: the least a hand-written Node proxy over the controller does, with no
 * GraphQL. node:http in, one undici Pool out (as the gateway's client), keys camelCased.
 *
 *   GET /session/:id   -> GET /v1/sessions/{id}, camelCased
 *   GET /sessions?scopeId=global&recursive=true&includeTerminated=false&first=100&after=TOKEN&filter=...
 *                      -> one list page, then the distinct parent scopes of its sessions' projects read
 *                         in parallel, merged as `scope.parent` (what `scope { name parent { name } }` needs)
 *   ... &neighbours=1  -> instead of the parents, the distinct targets, users, hosts, host sets and auth
 *                         tokens of the page, read in parallel and merged as `target`, `user`, `host`,
 *                         `hostSet`, `authToken`
 *
 * At most 16 reads of one request are in flight at once, as the gateway's default
 * MAX_UPSTREAM_CONCURRENCY_PER_REQUEST.
 *
 * The caller's Authorization header is forwarded verbatim. Errors from the controller pass through.
 * Env: BOUNDARY_ADDR (required), PORT (0), HOST (127.0.0.1), UPSTREAM_CONNECTIONS (32).
 * Prints `proxy listening on http://host:port` once ready; SIGTERM/SIGINT close it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const addr = process.env.BOUNDARY_ADDR;
if (!addr) {
  console.error("BOUNDARY_ADDR is required");
  process.exit(2);
}
const origin = new URL(addr).origin;
const pool = new Pool(origin, {
  connections: Number(process.env.UPSTREAM_CONNECTIONS ?? 32),
  pipelining: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
});

const PER_REQUEST = 16;
const SESSION_ID = /^s_[A-Za-z0-9]+$/;
const SCOPE_ID = /^(global|[op]_[A-Za-z0-9]+)$/;

/** snake_case -> camelCase, memoised: the same few dozen keys repeat in every item. */
const keyCache = new Map<string, string>();
function camelKey(k: string): string {
  let c = keyCache.get(k);
  if (c === undefined) {
    c = k.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
    keyCache.set(k, c);
  }
  return c;
}

function camel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camel);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) out[camelKey(k)] = camel((v as Record<string, unknown>)[k]);
  return out;
}

class Upstream {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {}
}

async function get(path: string, auth: string | undefined): Promise<Record<string, unknown>> {
  const res = await pool.request({
    method: "GET",
    path,
    headers: auth === undefined ? { accept: "application/json" } : { accept: "application/json", authorization: auth },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Upstream(res.statusCode, text);
  return JSON.parse(text) as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function session(id: string, auth: string | undefined): Promise<unknown> {
  return camel(await get(`/v1/sessions/${encodeURIComponent(id)}`, auth));
}

type WireItem = Record<string, unknown> & { scope?: { parent_scope_id?: string } };

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A session field holding another resource's id, the collection to read it from, and the merged key. */
const NEIGHBOURS = [
  { idKey: "target_id", collection: "targets", as: "target" },
  { idKey: "user_id", collection: "users", as: "user" },
  { idKey: "host_id", collection: "hosts", as: "host" },
  { idKey: "host_set_id", collection: "host-sets", as: "hostSet" },
  { idKey: "auth_token_id", collection: "auth-tokens", as: "authToken" },
] as const;

async function sessions(q: URLSearchParams, auth: string | undefined): Promise<unknown> {
  const scopeId = q.get("scopeId") ?? "global";
  if (!SCOPE_ID.test(scopeId)) throw new Upstream(400, JSON.stringify({ message: "bad scopeId" }));
  const up = new URLSearchParams({ scope_id: scopeId });
  if (q.get("recursive") !== "false") up.set("recursive", "true");
  if (q.get("includeTerminated") === "true") up.set("include_terminated", "true");
  const filter = q.get("filter");
  if (filter) up.set("filter", filter);
  const first = q.get("first");
  if (first) up.set("page_size", first);
  const after = q.get("after");
  if (after) up.set("list_token", after);

  const page = await get(`/v1/sessions?${up}`, auth);
  const items = (page.items ?? []) as WireItem[];
  const out = camel(page) as { items?: Record<string, unknown>[] };
  out.items ??= [];

  if (q.get("neighbours") === "1") {
    // Distinct (collection, id) pairs, read once each.
    const reads = new Map<string, { collection: string; id: string; value?: unknown }>();
    for (const s of items) {
      for (const n of NEIGHBOURS) {
        const id = s[n.idKey];
        if (typeof id === "string") reads.set(`${n.collection}/${id}`, { collection: n.collection, id });
      }
    }
    await eachLimited([...reads.values()], PER_REQUEST, async (r) => {
      r.value = camel(await get(`/v1/${r.collection}/${encodeURIComponent(r.id)}`, auth));
    });
    out.items.forEach((item, i) => {
      for (const n of NEIGHBOURS) {
        const id = items[i]![n.idKey];
        item[n.as] = typeof id === "string" ? (reads.get(`${n.collection}/${id}`)?.value ?? null) : null;
      }
    });
    return out;
  }

  const parentIds = [...new Set(items.map((s) => s.scope?.parent_scope_id).filter((id): id is string => id !== undefined))];
  const parents = new Map<string, unknown>();
  await eachLimited(parentIds, PER_REQUEST, async (id) => {
    parents.set(id, camel(await get(`/v1/scopes/${encodeURIComponent(id)}`, auth)));
  });
  for (const item of out.items as { scope?: { parentScopeId?: string; parent?: unknown } }[]) {
    const pid = item.scope?.parentScopeId;
    if (item.scope && pid !== undefined) item.scope.parent = parents.get(pid) ?? null;
  }
  return out;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://proxy.invalid");
  const auth = req.headers.authorization;
  if (req.method !== "GET") return send(res, 405, '{"message":"GET only"}');
  let value: unknown;
  if (url.pathname.startsWith("/session/")) {
    const id = decodeURIComponent(url.pathname.slice("/session/".length));
    if (!SESSION_ID.test(id)) return send(res, 400, '{"message":"bad session id"}');
    value = await session(id, auth);
  } else if (url.pathname === "/sessions") {
    value = await sessions(url.searchParams, auth);
  } else if (url.pathname === "/healthz") {
    value = { status: "ok" };
  } else {
    return send(res, 404, '{"message":"not found"}');
  }
  send(res, 200, JSON.stringify(value));
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    if (res.headersSent) return void res.destroy();
    if (err instanceof Upstream) send(res, err.status, err.body || "{}");
    else send(res, 502, JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
  });
});

const host = process.env.HOST?.trim() || "127.0.0.1";
server.listen(Number(process.env.PORT ?? 0), host, () => {
  const { port } = server.address() as AddressInfo;
  console.log(`proxy listening on http://${host}:${port}`);
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.closeIdleConnections();
  server.close(() => {
    pool.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  setTimeout(() => process.exit(1), 5_000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
