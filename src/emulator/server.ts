/**
 * The emulator's HTTP face: routing as grpc-gateway does it, the call log, fault injection, latency,
 * rate limiting and the controller's response headers. Endpoint logic is in handlers.ts.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { ApiError, kindForStatus, methodNotAllowed, notFound } from "./errors.js";
import type { Faults } from "./faults.js";
import type { Handlers, Reply, ApiRequest } from "./handlers.js";
import { type RateLimiter, resourceActionOf } from "./ratelimit.js";
import type { Store } from "./store.js";
import type { CallRecord, EmulatorOptions } from "./types.js";

/** `globals.DefaultMaxRequestSize`: bodies above 1 MiB are refused. */
const MAX_BODY = 1 << 20;

export interface ServerDeps {
  store: Store;
  handlers: Handlers;
  faults: Faults;
  rateLimiter: RateLimiter | undefined;
  calls: CallRecord[];
  callLog: boolean;
  tls: EmulatorOptions["tls"];
}

export interface EmulatorServer {
  server: Server;
  /** Destroys every socket (stalled ones included) and resolves once the listener is closed. */
  close(): Promise<void>;
}

type Route = (req: ApiRequest, id: string) => Reply;

export function createEmulatorServer(deps: ServerDeps): EmulatorServer {
  const { store, handlers, faults } = deps;
  const sockets = new Set<Socket>();
  const sleepers = new Set<() => void>();
  let closing = false;

  const reads: Record<string, Route> = {
    sessions: (r, id) => handlers.getSession(r, id),
    scopes: (r, id) => handlers.getScope(r, id),
    targets: (r, id) => handlers.getTarget(r, id),
    users: (r, id) => handlers.getUser(r, id),
    hosts: (r, id) => handlers.getHost(r, id),
    "host-sets": (r, id) => handlers.getHostSet(r, id),
    "auth-tokens": (r, id) => handlers.getAuthToken(r, id),
  };
  const lists: Record<string, (r: ApiRequest) => Reply> = {
    sessions: (r) => handlers.listSessions(r),
    scopes: (r) => handlers.listScopes(r),
  };

  /**
   * grpc-gateway routing: `:verb` is split off the raw path at a literal colon only, so
   * `s_x%3Acancel` is the read route with a strange id. We answer 404 for GET on such a path and 405 for
   * another method on a known route (the gateway answers Unimplemented there, which Boundary makes 405).
   */
  function route(method: string, path: string, req: ApiRequest): Reply {
    if (!path.startsWith("/v1/")) throw notFound();
    const segs = path.slice(4).split("/");
    if (segs.length === 1) {
      const list = lists[segs[0]];
      if (!list) throw notFound();
      if (method !== "GET") throw methodNotAllowed();
      return list(req);
    }
    if (segs.length !== 2 || segs[1] === "") throw notFound();
    const [collection, raw] = segs;
    const read = reads[collection];
    if (!read) throw notFound();
    const colon = raw.lastIndexOf(":");
    if (colon >= 0) {
      if (collection !== "sessions" || raw.slice(colon + 1) !== "cancel") throw notFound();
      if (method !== "POST") throw methodNotAllowed();
      return handlers.cancelSession(req, decode(raw.slice(0, colon)));
    }
    if (method !== "GET") throw methodNotAllowed();
    const id = decode(raw);
    if (id.includes(":")) throw notFound();
    return read(req, id);
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const record: CallRecord = { method, path, query: Object.fromEntries(query), status: 0, start: started, end: started };
    if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
    if (typeof req.headers.traceparent === "string") record.traceparent = req.headers.traceparent;
    if (deps.callLog) deps.calls.push(record);

    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      if (res.destroyed || res.headersSent) return;
      res.writeHead(status, {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Content-Length": String(Buffer.byteLength(body)),
        ...headers,
      });
      res.end(body);
      record.status = status;
      record.end = performance.now();
    };

    const fault = faults.take(method, path);
    const body = await readBody(req);
    if (body === undefined) {
      send(413, JSON.stringify({ kind: "InvalidArgument", message: "http: request body too large" }));
      return;
    }
    await sleep(faults.latencyMs + (fault?.kind === "latency" ? fault.ms : 0));
    if (closing || res.destroyed) return;

    if (fault?.kind === "reset") {
      record.end = performance.now();
      // An RST rather than a FIN, so the client sees ECONNRESET.
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter);
      let text: string;
      if (fault.body !== undefined) text = typeof fault.body === "string" ? fault.body : JSON.stringify(fault.body);
      // The rate limiter's 429/503 carry no body.
      else text = fault.status === 429 || fault.status === 503 ? "" : JSON.stringify(kindForStatus(fault.status));
      send(fault.status, text, headers);
      return;
    }

    store.applyDue();
    const { principal, authTokenId } = store.principalFor(req.headers.authorization, req.headers.cookie);
    let limitHeaders: Record<string, string> = {};
    if (deps.rateLimiter) {
      const decision = deps.rateLimiter.check(authTokenId ?? "u_anon", req.socket.remoteAddress ?? "", resourceActionOf(method, path));
      if (!decision.allowed) {
        send(429, "", decision.headers);
        return;
      }
      limitHeaders = decision.headers;
    }

    let reply: Reply;
    try {
      reply = route(method, path, { principal, query, body });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      reply = { status: err.status, body: JSON.stringify(err.body) };
    }

    if (fault?.kind === "malformed") {
      send(200, reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2))), limitHeaders);
      return;
    }
    if (fault?.kind === "stall") {
      // Headers promise the whole body; half of it arrives, the rest never does.
      res.writeHead(reply.status, {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Content-Length": String(Buffer.byteLength(reply.body)),
      });
      res.write(reply.body.slice(0, Math.floor(reply.body.length / 2)));
      return;
    }
    send(reply.status, reply.body, limitHeaders);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch((err: unknown) => {
      // A bug in the emulator: answer as the controller answers unexpected errors.
      if (!res.headersSent && !res.destroyed) {
        const body = JSON.stringify({ kind: "Internal", message: `emulator: ${(err as Error)?.message ?? String(err)}` });
        res.writeHead(500, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        res.end(body);
      }
    });
  };

  const server = deps.tls
    ? createHttpsServer(
        {
          key: deps.tls.key,
          cert: deps.tls.cert,
          ca: deps.tls.ca,
          requestCert: deps.tls.requestCert ?? false,
          rejectUnauthorized: deps.tls.requestCert ?? false,
        },
        listener,
      )
    : createServer(listener);
  // Keep-alive sockets must not outlive a test; they are tracked and destroyed on close. For https the
  // raw TCP socket is tracked, which also covers connections still in the TLS handshake.
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return {
    server,
    close() {
      closing = true;
      for (const wake of [...sleepers]) wake();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
    },
  };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw notFound();
  }
}

/** The whole body, or undefined when it exceeds 1 MiB. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
