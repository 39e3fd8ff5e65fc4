/**
 * CORS for browser pages on other origins (CORS_ORIGINS): exact origins only, no credentials. Tokens travel
 * in the Authorization header, never in cookies, so `Access-Control-Allow-Credentials` is never sent and a
 * page can use only a token it holds itself. Unset, no CORS header is ever sent (browsers then refuse
 * every cross-origin read). Apollo's CSRF prevention stays on: it guards the simple requests CORS does not.
 * See docs/security.md#cors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Paths that take cross-origin requests: GraphQL and its SSE stream. */
const PATHS = new Set(["/graphql", "/graphql/stream"]);
/** PUT and DELETE: graphql-sse's single-connection mode reserves and releases a stream with them. */
const ALLOW_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
/** What the gateway's clients send: the token, JSON, Apollo's CSRF headers, tracing and request ids. */
const ALLOW_HEADERS = "authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id, traceparent";
const EXPOSE_HEADERS = "x-request-id, retry-after";
/** How long a browser may reuse a preflight's answer (Chromium caps it at 7200 s). */
const MAX_AGE_SECONDS = "600";

/**
 * Returns a step for the start of request handling: true when it answered the request (a preflight),
 * false when routing goes on (with the CORS headers set on `res` for an allowed origin).
 */
export function createCors(
  origins: readonly string[] | undefined,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  if (origins === undefined || origins.length === 0) return () => false;
  const allowed = new Set(origins);
  return (req, res, pathname) => {
    if (!PATHS.has(pathname)) return false;
    const origin = req.headers.origin;
    const ok = origin !== undefined && allowed.has(origin);
    // Answers differ by Origin, so a shared cache must key on it, whichever origin asked.
    res.setHeader("vary", "Origin");
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (preflight) {
      // A refused preflight is 403 without CORS headers: the browser then never sends the request.
      if (!ok) {
        res.writeHead(403, { "content-length": "0" }).end();
        return true;
      }
      res.writeHead(204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE_SECONDS,
        "content-length": "0",
      });
      res.end();
      return true;
    }
    if (ok) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    }
    return false;
  };
}
