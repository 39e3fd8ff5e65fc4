/**
 * The example operations in `operations/*.graphql`, shared by the README, the explorer's preloaded tabs
 * and the client tests, so an example that drifts from the schema fails a test instead of rotting.
 *
 * One named operation per file, named like the file. Leading `#` lines describe it; a line
 * `# variables: {…}` gives the variables the explorer fills in for it.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kind, parse, type OperationDefinitionNode } from "graphql";

export interface ExampleOperation {
  /** The operation's name, which is also its file's name without `.graphql`. */
  readonly name: string;
  readonly kind: "query" | "mutation" | "subscription";
  /** The file's text as written (comments included): what a client sends. */
  readonly source: string;
  /** The leading comment, without `#` and without the variables line. */
  readonly description: string;
  /** Example variables for the explorer (`{}` when the file gives none). */
  readonly variables: Readonly<Record<string, unknown>>;
}

/** `operations/` at the top of the project, from `src/explorer/` and from `dist/explorer/` alike. */
export const DEFAULT_OPERATIONS_DIR = fileURLToPath(new URL("../../operations/", import.meta.url));

/**
 * Reads every `*.graphql` file of `dir`: queries first, then mutations, each by name. Throws, naming the
 * file, when one does not hold exactly one named operation matching its file name, or its variables
 * line is not a JSON object.
 */
export async function loadOperations(dir: string = DEFAULT_OPERATIONS_DIR): Promise<ExampleOperation[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".graphql")).sort();
  const operations = await Promise.all(files.map(async (file) => parseOperation(join(dir, file), await readFile(join(dir, file), "utf8"))));
  const rank = { query: 0, mutation: 1, subscription: 2 } as const;
  return operations.sort((a, b) => rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name));
}

/** The operations of `loadOperations`, by name; throws on an unknown name (a test's typo, not a skip). */
export async function loadOperationsByName(dir?: string): Promise<(name: string) => ExampleOperation> {
  const byName = new Map((await loadOperations(dir)).map((op) => [op.name, op]));
  return (name) => {
    const op = byName.get(name);
    if (!op) throw new Error(`no operation ${name} in operations/ (have ${[...byName.keys()].join(", ")})`);
    return op;
  };
}

function parseOperation(path: string, source: string): ExampleOperation {
  const name = basename(path, ".graphql");
  const definitions = parse(source).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (definitions.length !== 1 || definitions[0]!.name?.value !== name) {
    throw new Error(`${path}: must hold exactly one operation, named ${name}`);
  }
  const description: string[] = [];
  let variables: Record<string, unknown> = {};
  for (const line of source.split("\n")) {
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (!comment) break;
    const vars = /^variables:\s*(.*)$/.exec(comment[1]!);
    if (!vars) {
      description.push(comment[1]!);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(vars[1]!);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${path}: the "# variables:" line must hold a JSON object`);
    }
    variables = parsed as Record<string, unknown>;
  }
  return { name, kind: definitions[0]!.operation, source, description: description.join(" ").trim(), variables };
}
