/**
 * The README and docs/ stay true to the tree: every relative link resolves (files, folders and
 * `#anchors` of markdown headings), every docs page is linked from the README, and the README's
 * configuration table lists exactly the variables src/config.ts reads.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOCS = join(ROOT, "docs");
const docPages = readdirSync(DOCS)
  .filter((f) => f.endsWith(".md"))
  .map((f) => join(DOCS, f));
const pages = [join(ROOT, "README.md"), ...docPages];

/** Markdown without fenced code blocks and inline code spans, where `[x](y)` is no link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Link targets of `[text](target)` and `![alt](target)`, titles dropped. */
export function linkTargets(markdown: string): string[] {
  const out: string[] = [];
  for (const m of prose(markdown).matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!);
  return out;
}

/** GitHub's anchors for the headings of a markdown file (lower case, punctuation dropped, spaces to
 * hyphens, repeats numbered). */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with one relative link of `from`, or undefined when it resolves. */
function brokenLink(from: string, target: string): string | undefined {
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? from : resolve(dirname(from), decodeURIComponent(path));
  if (!file.startsWith(ROOT)) return "points outside the repository";
  if (!existsSync(file)) return "no such file";
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md")) return "an anchor into something that is not a markdown file";
  return headingAnchors(readFileSync(file, "utf8")).has(anchor) ? undefined : `no heading with anchor #${anchor}`;
}

/** The environment variables src/config.ts names as the first argument of a call (`int("PORT", …)`,
 * `text("BOUNDARY_ADDR")`, any helper) or reads as `env.X` / `env["X"]`. */
export function configVariables(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
  const names = new Set<string>();
  for (const m of code.matchAll(/\b\w+\(\s*"([A-Z][A-Z0-9_]*)"/g)) names.add(m[1]!);
  for (const m of code.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*"([A-Z][A-Z0-9_]*)"\s*\])/g)) names.add((m[1] ?? m[2])!);
  return names;
}

/** The variables of the README's configuration table: the first cell of each row under
 * "## Configuration", one backticked name per row. */
export function tableVariables(readme: string): string[] {
  const section = /^## Configuration\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
  const names: string[] = [];
  for (const line of section.split("\n")) {
    const cell = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (cell) names.push(cell[1]!);
  }
  return names;
}

describe("links in the README and docs/", () => {
  it.each(pages.map((p) => [relative(ROOT, p), p]))("%s: every relative link resolves", (_name, page) => {
    const broken = linkTargets(readFileSync(page, "utf8"))
      .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t))
      .map((t) => [t, brokenLink(page, t)])
      .filter(([, problem]) => problem !== undefined);
    expect(broken).toEqual([]);
  });

  it("every docs page is linked from the README", () => {
    const linked = new Set(linkTargets(readFileSync(join(ROOT, "README.md"), "utf8")).map((t) => resolve(ROOT, t.split("#")[0]!)));
    expect(docPages.filter((p) => !linked.has(p)).map((p) => relative(ROOT, p))).toEqual([]);
    expect(docPages.length).toBeGreaterThanOrEqual(9);
  });

  it("the checker itself finds a missing file, a missing anchor and a link inside code is no link", () => {
    const readme = join(ROOT, "README.md");
    expect(brokenLink(readme, "docs/nope.md")).toBe("no such file");
    expect(brokenLink(readme, "docs/security.md#no-such-heading")).toBe("no heading with anchor #no-such-heading");
    expect(brokenLink(readme, "docs/security.md#the-fallback-token")).toBeUndefined();
    expect(linkTargets("see [a](b.md) and `[c](d.md)`\n```\n[e](f.md)\n```\n")).toEqual(["b.md"]);
    expect([...headingAnchors("# Apollo Federation 2 (`FEDERATION=true`)\n## A\n## A\n")]).toEqual([
      "apollo-federation-2-federationtrue",
      "a",
      "a-1",
    ]);
  });
});

describe("the README's configuration table", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const source = readFileSync(join(ROOT, "src", "config.ts"), "utf8");

  it("has one row for each variable src/config.ts reads, and no other", () => {
    const rows = tableVariables(readme);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual([...configVariables(source)].sort());
  });

  it("the scan of src/config.ts misses nothing loadConfig reads at run time", () => {
    // Every name loadConfig looks up in a plain development environment and in a production one.
    const read = new Set<string>();
    const spy = (env: Record<string, string>) =>
      new Proxy(env, {
        get(target, key) {
          if (typeof key === "string") read.add(key);
          return target[key as string];
        },
      });
    loadConfig(spy({}));
    loadConfig(spy({ NODE_ENV: "production", BOUNDARY_ADDR: "https://boundary.example.com:9200", METRICS_PORT: "9100" }));
    const scanned = configVariables(source);
    expect([...read].filter((k) => !scanned.has(k))).toEqual([]);
    expect(read.size).toBeGreaterThan(30);
  });

  it("a variable added to the source without a row is caught", () => {
    const added = source.replace('int("PORT", 4000', 'int("NEW_VARIABLE", 1, 0, 2),\n    port: int("PORT", 4000');
    expect(configVariables(added).has("NEW_VARIABLE")).toBe(true);
    expect(tableVariables(readme)).not.toContain("NEW_VARIABLE");
  });
});
