/**
 * The explorer's HTML page and its one script of our own. The page carries no inline script (its
 * configuration is an inert JSON block), so its Content-Security-Policy can allow scripts from the
 * gateway only, and forbid connections to any other host.
 */
import type { Asset } from "./assets.js";
import type { ExampleOperation } from "./operations.js";

/** What the page's script reads from the `#explorer-config` block. */
export interface ExplorerPageConfig {
  /** The GraphQL endpoint, relative to the page (so a path prefix added by a proxy is kept). */
  endpoint: string;
  /** Preloaded tabs, one per example operation. */
  tabs: { query: string; variables: string }[];
  /** Text of the header editor. */
  headers: string;
}

/**
 * The browser side: GraphiQL with the gateway's endpoint, the example tabs, the header editor open (for
 * `Authorization: Bearer …`) and the schema docs shown. Plain browser JavaScript over the UMD globals
 * (`React`, `ReactDOM`, `GraphiQL`), served as a file of its own; kept as a string so that it ships inside
 * the compiled gateway with no copy step.
 */
export const EXPLORER_SCRIPT = `"use strict";
(function () {
  var config = JSON.parse(document.getElementById("explorer-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href);
  // Subscriptions go over graphql-ws on the same path; the socket opens only when one is run, and the
  // header editor's headers become its connectionParams.
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.headers,
      isHeadersEditorEnabled: true,
      // Tokens stay out of localStorage.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
      visiblePlugin: GraphiQL.React.DOC_EXPLORER_PLUGIN
    })
  );
})();
`;

/** Text of the header editor. An empty Authorization is treated as none by the gateway, so the demo
 * (and BOUNDARY_TOKEN) fallback still applies until a token is pasted in. */
export const DEFAULT_HEADERS = `{
  "Authorization": ""
}`;

export function explorerPageConfig(operations: readonly ExampleOperation[]): ExplorerPageConfig {
  return {
    endpoint: "graphql",
    tabs: operations.map((op) => ({ query: op.source, variables: JSON.stringify(op.variables, null, 2) })),
    headers: DEFAULT_HEADERS,
  };
}

/** The Content-Security-Policy of the page: everything from the gateway itself, fonts and icons also as
 * data: URLs (graphiql inlines them), inline styles (React and CodeMirror set them), nothing else. */
export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** `assets` in the order they load: React, ReactDOM, GraphiQL, then our script. URLs are relative to
 * `/graphiql` and carry `?v=<hash>`, so the browser may cache them for good. */
export function renderExplorerPage(config: ExplorerPageConfig, assets: { css: Asset; scripts: Asset[] }): string {
  const url = (a: Asset) => `graphiql/assets/${a.name}?v=${a.hash}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>boundary-graphql explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${url(assets.css)}">
<style>html, body, #graphiql { height: 100%; margin: 0; } #graphiql > .loading { font: 14px sans-serif; padding: 1em; }</style>
</head>
<body>
<div id="graphiql"><div class="loading">Loading the explorer…</div></div>
<script type="application/json" id="explorer-config">${jsonForScript(config)}</script>
${assets.scripts.map((a) => `<script src="${url(a)}"></script>`).join("\n")}
</body>
</html>
`;
}

/** JSON that cannot end its `<script>` block early or open a comment inside it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
