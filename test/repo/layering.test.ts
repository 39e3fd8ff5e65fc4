/**
 * Dependencies point down: src/boundary/ ← src/loaders/ ← src/graphql/ ← execution ← server. This
 * reads the import statements of every src/**\/*.ts and fails on one that runs back up a layer.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The rules, once: files under `from` may not import anything matched by `to`. A path is relative to
 * src/, `/` separated; a folder rule ends with `/`.
 */
const RULES: readonly { from: string; to: readonly string[]; why: string }[] = [
  { from: "boundary/", to: ["!boundary/"], why: "the upstream client knows nothing else of the gateway" },
  { from: "bexpr/", to: ["!bexpr/"], why: "the filter language is shared with the emulator and stands alone" },
  {
    from: "loaders/",
    to: ["graphql/", "live/", "server.ts", "transport/", "execution/"],
    why: "loaders sit below GraphQL and the transports",
  },
  {
    from: "shared/",
    to: ["boundary/", "loaders/", "graphql/", "live/", "execution/", "transport/", "server.ts"],
    why: "Redis-backed state is injected into the layers that use it, never the other way round",
  },
  { from: "live/", to: ["graphql/"], why: "the live layer throws its own errors; the error funnel maps them" },
  { from: "graphql/", to: ["server.ts", "transport/", "execution/"], why: "GraphQL types and resolvers sit below the transports" },
  { from: "execution/", to: ["server.ts", "transport/"], why: "the execution core knows no transport; transports call it" },
  { from: "guards/", to: ["server.ts", "transport/"], why: "guards are request hooks: they apply to every transport through the core" },
];

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../..", "src");

/** `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`, type-only ones included. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(IMPORT)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

function matches(path: string, pattern: string): boolean {
  if (pattern.startsWith("!")) return !matches(path, pattern.slice(1));
  return pattern.endsWith("/") ? path.startsWith(pattern) : path === pattern;
}

/** The broken rules of one import: `file` and the result are relative to src/. */
function violations(file: string, specifier: string): string[] {
  if (!specifier.startsWith(".")) return []; // packages and node: builtins
  const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, ".ts");
  if (target.startsWith("../")) return [`${file} imports ${specifier}, outside src/`];
  return RULES.filter((r) => file.startsWith(r.from) && r.to.some((p) => matches(target, p))).map(
    (r) => `${file} imports ${target}: ${r.from} may not import ${r.to.join(", ")} (${r.why})`,
  );
}

function sourceFiles(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[])
    .map((f) => f.split("\\").join("/"))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
}

describe("layering", () => {
  it("no import in src/ runs back up a layer", () => {
    const files = sourceFiles();
    // The walk must see the layers it judges, or it would pass on an empty tree.
    for (const layer of ["boundary/", "bexpr/", "loaders/", "live/", "graphql/"]) {
      expect(
        files.some((f) => f.startsWith(layer)),
        layer,
      ).toBe(true);
    }
    const broken = files.flatMap((file) => importsOf(readFileSync(join(SRC, file), "utf8")).flatMap((s) => violations(file, s)));
    expect(broken).toEqual([]);
  });

  it("reads every form of import and flags an upward one", () => {
    const source = [
      'import type { A } from "../graphql/errors.js";',
      'import {\n  B,\n  C,\n} from "../boundary/client.js";',
      'export { D } from "./events.js";',
      'import "../graphql/side-effect.js";',
      'const e = await import("../server.js");',
      'import { f } from "graphql";',
    ].join("\n");
    expect(importsOf(source)).toEqual([
      "../graphql/errors.js",
      "../boundary/client.js",
      "./events.js",
      "../graphql/side-effect.js",
      "../server.js",
      "graphql",
    ]);
    const flagged = importsOf(source).flatMap((s) => violations("live/registry.ts", s));
    expect(flagged).toHaveLength(2);
    expect(flagged[0]).toContain("live/registry.ts imports graphql/errors.ts");
    expect(flagged[1]).toContain("graphql/side-effect.ts");
    expect(violations("boundary/client.ts", "../config.js")).toHaveLength(1);
    expect(violations("boundary/client.ts", "./wire.js")).toEqual([]);
    expect(violations("bexpr/parser.ts", "../boundary/wire.js")).toHaveLength(1);
    expect(violations("loaders/concurrency.ts", "../graphql/mappers.js")).toHaveLength(1);
    expect(violations("graphql/resolvers/node.resolver.ts", "../../transport/ws.js")).toHaveLength(1);
    expect(violations("graphql/resolvers/node.resolver.ts", "../../execution/context.js")).toHaveLength(1);
    expect(violations("graphql/resolvers/node.resolver.ts", "../../boundary/resources.js")).toEqual([]);
  });
});
