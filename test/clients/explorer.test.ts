import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOperations, type ExampleOperation } from "../../src/explorer/index.js";
import { explorerPageConfig, renderExplorerPage } from "../../src/explorer/page.js";
import { createAsset } from "../../src/explorer/assets.js";
import { buildGatewaySchema } from "../../src/schema.js";
import { startStack, type Stack } from "../helpers/harness.js";

const require = createRequire(import.meta.url);
const packageFile = (pkg: string, path: string) => readFile(join(dirname(require.resolve(`${pkg}/package.json`)), path), "utf8");

/** The `<script src>` and `<link href>` URLs of a page, and its inert JSON configuration. */
function pageParts(html: string) {
  const urls = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
  const config = /<script type="application\/json" id="explorer-config">([^<]*)<\/script>/.exec(html);
  return { urls, config: JSON.parse(config![1]!) as { endpoint: string; tabs: { query: string; variables: string }[]; headers: string } };
}

describe("the example operations (operations/*.graphql)", () => {
  let operations: ExampleOperation[];
  beforeAll(async () => {
    operations = await loadOperations();
  });

  it("are list, read, neighbours and cancel, queries first", () => {
    expect(operations.map((o) => [o.name, o.kind])).toEqual([
      ["ListSessions", "query"],
      ["ReadSession", "query"],
      ["SessionNeighbours", "query"],
      ["CancelSession", "mutation"],
    ]);
    expect(operations.map((o) => o.variables)).toEqual([
      { first: 10 },
      { id: "s_1234567890" },
      { id: "s_1234567890" },
      { id: "s_1234567890" },
    ]);
    for (const op of operations) expect(op.description.length).toBeGreaterThan(20);
  });

  it("are valid against the gateway's schema, so an example cannot rot unnoticed", async () => {
    const schema = await buildGatewaySchema();
    for (const op of operations) expect([op.name, validate(schema, parse(op.source)).map((e) => e.message)]).toEqual([op.name, []]);
  });
});

describe("GET /graphiql", () => {
  let stack: Stack;
  let url: string;
  let html: string;
  let res: Response;
  beforeAll(async () => {
    stack = await startStack({ emulator: { sessions: 5 } });
    url = stack.gateway.url;
    res = await fetch(`${url}/graphiql`, { headers: { accept: "text/html" } });
    html = await res.text();
  });
  afterAll(() => stack.close());

  it("serves the page, never cached stale, with a policy that allows this origin only", () => {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = Object.fromEntries(
      res.headers
        .get("content-security-policy")!
        .split("; ")
        .map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]),
    );
    expect(csp).toMatchObject({ "default-src": "'none'", "script-src": "'self'", "connect-src": "'self'", "frame-ancestors": "'none'" });
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/);
  });

  it("loads every script and stylesheet from the gateway itself, by relative URL with a content hash", () => {
    const { urls } = pageParts(html);
    expect(urls.map((u) => u.replace(/\?v=[0-9a-f]{16}$/, ""))).toEqual([
      "data:,",
      "graphiql/assets/graphiql.min.css",
      "graphiql/assets/react.production.min.js",
      "graphiql/assets/react-dom.production.min.js",
      "graphiql/assets/graphiql.min.js",
      "graphiql/assets/explorer.js",
    ]);
    expect(html).not.toMatch(/https?:\/\/|\/\/[a-z]/i);
  });

  it("preloads one tab per example operation with its variables, and an Authorization header to fill in", async () => {
    const { config } = pageParts(html);
    const operations = await loadOperations();
    expect(config.endpoint).toBe("graphql");
    expect(config.tabs).toEqual(operations.map((o) => ({ query: o.source, variables: JSON.stringify(o.variables, null, 2) })));
    expect(JSON.parse(config.headers)).toEqual({ Authorization: "" });
  });

  it("serves the package files as they ship, with JavaScript and CSS content types", async () => {
    const { urls } = pageParts(html);
    const expected: Record<string, [string, Promise<string>]> = {
      "graphiql.min.css": ["text/css; charset=utf-8", packageFile("graphiql", "graphiql.min.css")],
      "react.production.min.js": ["text/javascript; charset=utf-8", packageFile("react", "umd/react.production.min.js")],
      "react-dom.production.min.js": ["text/javascript; charset=utf-8", packageFile("react-dom", "umd/react-dom.production.min.js")],
      "graphiql.min.js": ["text/javascript; charset=utf-8", packageFile("graphiql", "graphiql.min.js")],
    };
    for (const u of urls.filter((x) => x.startsWith("graphiql/assets/"))) {
      const name = /assets\/([^?]+)/.exec(u)![1]!;
      const asset = await fetch(`${url}/${u}`, { headers: { "accept-encoding": "identity" } });
      expect([name, asset.status]).toEqual([name, 200]);
      if (name === "explorer.js") {
        expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
        expect(await asset.text()).toContain("GraphiQL.createFetcher");
        continue;
      }
      const [type, file] = expected[name]!;
      expect(asset.headers.get("content-type")).toBe(type);
      // Only the source-map comment is dropped (the maps are not served).
      const strip = (t: string) => t.replace(/\n\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, "\n");
      expect(await asset.text()).toBe(strip(await file));
    }
  });

  it("asks for nothing from another host: graphiql's fonts and icons are inlined as data: URLs", async () => {
    const css = await (await fetch(`${url}/${pageParts(html).urls.find((u) => u.endsWith(".css") || u.includes(".css?"))}`)).text();
    const refs = [...css.matchAll(/url\(\s*['"]?([^'")]*)/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((r) => !r.startsWith("data:"))).toEqual([]);
    expect(css).not.toMatch(/@import/);
  });

  it("lets browsers keep a hashed asset for good, revalidates an unhashed one, and answers If-None-Match with 304", async () => {
    const jsUrl = pageParts(html).urls.find((u) => u.includes("graphiql.min.js"))!;
    const hash = /v=([0-9a-f]{16})/.exec(jsUrl)![1]!;
    const hashed = await fetch(`${url}/${jsUrl}`, { headers: { "accept-encoding": "identity" } });
    await hashed.arrayBuffer();
    expect(hashed.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(hashed.headers.get("etag")).toBe(`"${hash}"`);
    expect(hashed.headers.get("vary")).toBe("accept-encoding");

    const plain = await fetch(`${url}/graphiql/assets/graphiql.min.js`, { headers: { "accept-encoding": "identity" } });
    await plain.arrayBuffer();
    expect(plain.headers.get("cache-control")).toBe("no-cache");

    const again = await fetch(`${url}/${jsUrl}`, { headers: { "accept-encoding": "identity", "if-none-match": `"${hash}"` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("gzips an asset for a client that accepts it, under its own ETag", async () => {
    const { request } = await import("node:http");
    const jsUrl = pageParts(html).urls.find((u) => u.includes("graphiql.min.js"))!;
    // node:http, not fetch: fetch would decode the body and hide the encoding.
    const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request(`${url}/${jsUrl}`, { headers: { "accept-encoding": "gzip, deflate" } }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
        r.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
    expect(headers["content-encoding"]).toBe("gzip");
    expect(headers.etag).toMatch(/^"[0-9a-f]{16}-gzip"$/);
    expect(Number(headers["content-length"])).toBe(body.length);
    expect(body.length).toBeLessThan(1_200_000);
    expect(gunzipSync(body).toString("utf8")).toContain("window.GraphiQL");
  });

  it("answers HEAD, refuses other methods with 405, redirects /graphiql/ and 404s an unknown asset", async () => {
    const head = await fetch(`${url}/graphiql`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(html));
    const post = await fetch(`${url}/graphiql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const slash = await fetch(`${url}/graphiql/`, { redirect: "manual" });
    expect(slash.status).toBe(308);
    expect(new URL(slash.headers.get("location")!, `${url}/graphiql/`).href).toBe(`${url}/graphiql`);
    for (const path of [
      "/graphiql/assets/nope.js",
      "/graphiql/assets/%2e%2e%2fpackage.json",
      "/graphiql/assets/..%2f..%2fpackage.json",
      "/graphiql/other",
    ]) {
      expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 404]);
    }
  });

  it("leaves Apollo Sandbox on /graphql for browsers", async () => {
    const sandbox = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    expect(sandbox.status).toBe(200);
    expect(await sandbox.text()).toContain("sandbox");
  });
});

describe("EXPLORER", () => {
  const status = async (env: Record<string, string>) => {
    const stack = await startStack({ emulator: { sessions: 1 }, env });
    try {
      return (await fetch(`${stack.gateway.url}/graphiql`)).status;
    } finally {
      await stack.close();
    }
  };

  it("is off in production unless enabled, and can be turned off anywhere", async () => {
    expect(await status({ NODE_ENV: "production" })).toBe(404);
    expect(await status({ NODE_ENV: "production", EXPLORER: "true", INTROSPECTION: "true" })).toBe(200);
    expect(await status({ EXPLORER: "false" })).toBe(404);
  });
});

describe("the page's configuration block", () => {
  it("cannot be closed early by an operation's text", () => {
    const evil: ExampleOperation = {
      name: "X",
      kind: "query",
      source: "# </script><script>alert(1)</script>\n{ __typename }",
      description: "",
      variables: {},
    };
    const asset = createAsset("a.js", "text/javascript", "");
    const page = renderExplorerPage(explorerPageConfig([evil]), { css: asset, scripts: [asset] });
    expect(page).not.toContain("</script><script>alert");
    expect(pageParts(page).config.tabs[0]!.query).toBe(evil.source);
  });
});
