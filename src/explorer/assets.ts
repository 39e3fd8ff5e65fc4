/**
 * The explorer's static files, served by the gateway itself from installed packages (graphiql's UMD
 * bundle and stylesheet, React's UMD builds), so the page makes no request to a CDN or any other host.
 * Fonts and icons are already inlined in graphiql's stylesheet as data: URLs.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";

export interface Asset {
  /** The file name in URLs: `/graphiql/assets/<name>`. */
  readonly name: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** First 16 hex digits of the body's sha256: the ETag, and `?v=` in the page's URLs. */
  readonly hash: string;
  /** Gzipped body, made on first use (graphiql's bundle is 3.5 MB, about 0.8 MB gzipped). */
  gzipped(): Promise<Buffer>;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** Where each served file comes from: a package and a path inside it. React's `exports` map hides its
 * `umd/` folder from `require.resolve`, so each package is found by its package.json. */
const PACKAGE_FILES: readonly { name: string; pkg: string; path: string; contentType: string }[] = [
  { name: "react.production.min.js", pkg: "react", path: "umd/react.production.min.js", contentType: JS },
  { name: "react-dom.production.min.js", pkg: "react-dom", path: "umd/react-dom.production.min.js", contentType: JS },
  { name: "graphiql.min.js", pkg: "graphiql", path: "graphiql.min.js", contentType: JS },
  { name: "graphiql.min.css", pkg: "graphiql", path: "graphiql.min.css", contentType: CSS },
];

export function createAsset(name: string, contentType: string, content: Buffer | string): Asset {
  const body = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  let zipped: Promise<Buffer> | undefined;
  return {
    name,
    contentType,
    body,
    hash: createHash("sha256").update(body).digest("hex").slice(0, 16),
    gzipped: () => (zipped ??= promisify(gzip)(body)),
  };
}

/** The package files, read once per process: they are immutable for the life of an install, and every
 * gateway of a test run would otherwise read (and gzip) the same 4 MB again. */
let packageAssets: Promise<Map<string, Asset>> | undefined;

export function loadPackageAssets(): Promise<Map<string, Asset>> {
  packageAssets ??= readPackageAssets().catch((err: unknown) => {
    packageAssets = undefined;
    throw err;
  });
  return packageAssets;
}

async function readPackageAssets(): Promise<Map<string, Asset>> {
  const require = createRequire(import.meta.url);
  const assets = await Promise.all(
    PACKAGE_FILES.map(async (f) => {
      // Drop the `sourceMappingURL` line: the maps are not served (6 MB for graphiql alone), and a
      // browser's developer tools would otherwise ask for them.
      const text = (await readFile(join(dirname(require.resolve(`${f.pkg}/package.json`)), f.path), "utf8")).replace(
        /\n\/[/*][#@] sourceMappingURL=[^\n]*\s*$/,
        "\n",
      );
      return createAsset(f.name, f.contentType, text);
    }),
  );
  return new Map(assets.map((a) => [a.name, a]));
}
