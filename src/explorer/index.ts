/**
 * The offline explorer: GraphiQL at `GET /graphiql`, with every script and stylesheet served by the
 * gateway from installed packages (no CDN), the example operations of `operations/` preloaded as tabs,
 * the header editor open for a bearer token, and the schema docs shown.
 *
 * Routes (GET and HEAD only):
 *   /graphiql                 the page (no-cache; a Content-Security-Policy allowing this origin only)
 *   /graphiql/                redirect to /graphiql
 *   /graphiql/assets/<file>   graphiql, React, ReactDOM, our script; ETag, gzip, immutable with `?v=<hash>`
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.js";
import { createAsset, loadPackageAssets, type Asset } from "./assets.js";
import { loadOperations, type ExampleOperation } from "./operations.js";
import { EXPLORER_CSP, EXPLORER_SCRIPT, explorerPageConfig, renderExplorerPage } from "./page.js";

export { loadOperations, loadOperationsByName, type ExampleOperation } from "./operations.js";

export const EXPLORER_PATH = "/graphiql";

export interface ExplorerOptions {
  logger: Logger;
  /** Whether the gateway allows introspection: the explorer's docs and completion need it. */
  introspection: boolean;
  /** Where the example operations live. Default: `operations/` at the top of the project. */
  operationsDir?: string;
}

export interface Explorer {
  /** Whether `pathname` is one of the explorer's (then `handle` answers it, 404 included). */
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export async function createExplorer(options: ExplorerOptions): Promise<Explorer> {
  const { logger } = options;
  if (!options.introspection) {
    logger.warn("EXPLORER is on but INTROSPECTION is off: the explorer at /graphiql will show no schema docs or completion");
  }
  let operations: ExampleOperation[] = [];
  try {
    operations = await loadOperations(options.operationsDir);
  } catch (err) {
    // The explorer still works without its examples; a broken example fails the tests, not a start-up.
    logger.warn({ err }, "explorer: example operations not loaded; /graphiql opens with an empty editor");
  }
  const script = createAsset("explorer.js", "text/javascript; charset=utf-8", EXPLORER_SCRIPT);

  // Built on the first request, not at start: reading and hashing 4 MB of packages would slow every
  // start-up (each test starts gateways) for a page few of them ever serve.
  let files: Promise<{ page: string; assets: Map<string, Asset> }> | undefined;
  const build = async () => {
    const assets = new Map(await loadPackageAssets());
    assets.set(script.name, script);
    const page = renderExplorerPage(explorerPageConfig(operations), {
      css: assets.get("graphiql.min.css")!,
      scripts: ["react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", script.name].map((n) => assets.get(n)!),
    });
    return { page, assets };
  };
  const load = () => {
    files ??= build().catch((err: unknown) => {
      // Not cached: a later request tries again (and the server answers this one with a logged 500).
      files = undefined;
      throw err;
    });
    return files;
  };

  return {
    matches: (pathname) => pathname === EXPLORER_PATH || pathname.startsWith(`${EXPLORER_PATH}/`),
    async handle(req, res, url) {
      const method = (req.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
        res.end("Method not allowed: the explorer answers GET and HEAD.\n");
        return;
      }
      if (url.pathname === `${EXPLORER_PATH}/`) {
        // Relative, so that a path prefix added by a reverse proxy survives.
        res.writeHead(308, { location: `../graphiql${url.search}` });
        res.end();
        return;
      }
      const { page, assets } = await load();
      if (url.pathname === EXPLORER_PATH) {
        const body = Buffer.from(page, "utf8");
        res.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "content-length": body.length,
          // The page names the current assets' hashes: always revalidated, so an upgrade shows at once.
          "cache-control": "no-cache",
          "content-security-policy": EXPLORER_CSP,
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        });
        res.end(method === "HEAD" ? undefined : body);
        return;
      }
      const prefix = `${EXPLORER_PATH}/assets/`;
      const asset = url.pathname.startsWith(prefix) ? assets.get(url.pathname.slice(prefix.length)) : undefined;
      if (!asset) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("Not found.\n");
        return;
      }
      await sendAsset(req, res, asset, url, method === "HEAD");
    },
  };
}

async function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset, url: URL, head: boolean): Promise<void> {
  const gzip = acceptsGzip(req.headers["accept-encoding"]);
  // A strong ETag names one representation, so the gzipped body has its own.
  const etag = gzip ? `"${asset.hash}-gzip"` : `"${asset.hash}"`;
  const headers: Record<string, string | number> = {
    "content-type": asset.contentType,
    etag,
    // With the current hash in the URL the content can never change under it; without, revalidate.
    "cache-control": url.searchParams.get("v") === asset.hash ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
  };
  if (matchesEtag(req.headers["if-none-match"], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = gzip ? await asset.gzipped() : asset.body;
  if (gzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = body.length;
  res.writeHead(200, headers);
  res.end(head ? undefined : body);
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return (coding === "gzip" || coding === "*") && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}
