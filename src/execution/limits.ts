/**
 * Query limits, checked once an operation is parsed, validated and chosen, and before anything runs,
 * so a refused query costs the controller nothing. Cost is estimated by type and field name, which
 * works on any schema this gateway serves (the federation subgraph too, where field extensions are lost).
 */
import {
  GraphQLError,
  Kind,
  getVariableValues,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";
import { createCostEstimator } from "../graphql/cost.js";
import type { QueryLimits } from "../config.js";
import { GatewayErrorCode } from "../graphql/errors.js";

export interface OperationShape {
  depth: number;
  aliases: number;
  rootFields: number;
  /** Fields selected once every fragment spread is expanded in place (what a naive walk visits). */
  expandedFields: number;
}

/**
 * Counts past this are reported as this: a fragment spread twice in each of 60 nested fragments
 * expands to 2^60 fields, and the exact figure matters to no one once it is past every limit.
 */
const COUNT_CAP = Number.MAX_SAFE_INTEGER;
const capped = (n: number) => Math.min(n, COUNT_CAP);

/** One selection set's share of the shape: its depth below it, and its aliases and fields expanded. */
interface SetShape {
  depth: number;
  aliases: number;
  fields: number;
}

/**
 * Depth, alias count, root field count and expanded field count of one operation, fragments
 * expanded. Introspection fields (`__schema`, `__type`) are exempt from depth: Sandbox's own
 * introspection query is deep by design. An alias counts wherever it is, `__typename` included:
 * aliases of it cost nothing upstream but are still answered, parsed and kept, one by one.
 *
 * Linear in the document's size: each fragment is measured once and its result reused at every
 * spread. Expanding spreads instead (as this walk once did) is exponential: 22 fragments each
 * spreading the next twice made a 0.9 KB query take 22 s of CPU. Counts multiply per spread, so
 * they are summed arithmetically and capped.
 */
export function measureOperation(operation: OperationDefinitionNode, document: DocumentNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const measured = new Map<string, SetShape>();
  const inProgress = new Set<string>();
  const fragmentShape = (name: string): SetShape | undefined => {
    const known = measured.get(name);
    if (known) return known;
    const frag = fragments.get(name);
    // A cycle (validation refuses those) or an unknown name adds nothing.
    if (!frag || inProgress.has(name)) return undefined;
    inProgress.add(name);
    const shape = measureSet(frag.selectionSet);
    inProgress.delete(name);
    measured.set(name, shape);
    return shape;
  };
  const measureSet = (set: SelectionSetNode): SetShape => {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    for (const sel of set.selections) {
      let inner: SetShape | undefined;
      if (sel.kind === Kind.FIELD) {
        if (sel.alias) aliases++;
        fields++;
        if (sel.name.value.startsWith("__")) {
          if (sel.selectionSet) fields += measureSet(sel.selectionSet).fields;
          continue;
        }
        const below = sel.selectionSet ? measureSet(sel.selectionSet) : undefined;
        depth = Math.max(depth, 1 + (below?.depth ?? 0));
        if (below) {
          aliases += below.aliases;
          fields += below.fields;
        }
        continue;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        inner = measureSet(sel.selectionSet);
      } else {
        inner = fragmentShape(sel.name.value);
      }
      if (inner) {
        depth = Math.max(depth, inner.depth);
        aliases += inner.aliases;
        fields += inner.fields;
      }
    }
    return { depth, aliases: capped(aliases), fields: capped(fields) };
  };
  const whole = measureSet(operation.selectionSet);
  // Root names are a set, so visiting each fragment once at most gives the same answer.
  const roots = new Set<string>();
  const visited = new Set<string>();
  const collectRoots = (set: SelectionSetNode): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value !== "__typename") roots.add(sel.alias?.value ?? sel.name.value);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) collectRoots(sel.selectionSet);
      else {
        const frag = fragments.get(sel.name.value);
        if (frag && !visited.has(frag.name.value)) {
          visited.add(frag.name.value);
          collectRoots(frag.selectionSet);
        }
      }
    }
  };
  collectRoots(operation.selectionSet);
  return { depth: whole.depth, aliases: whole.aliases, rootFields: roots.size, expandedFields: whole.fields };
}

/**
 * Most fields an operation may select with its fragments expanded. The cost estimate
 * (graphql-query-complexity's getComplexity) walks every spread in place, so its time grows with this
 * count, which fragments spreading fragments can make exponential in the query's size; past this the
 * operation is refused before that walk. Far above any real operation (Sandbox's introspection query
 * expands to a few hundred).
 */
export const MAX_EXPANDED_FIELDS = 20_000;

/** A variable value that does not coerce, refused as execution would refuse it. */
function coercionRefusal(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
}

function refuse(limit: string, max: number, actual: number, advice: string): GraphQLError {
  return new GraphQLError(`Query refused: its ${limit} is ${actual}, above the limit of ${max}. ${advice}`, {
    extensions: { code: GatewayErrorCode.QUERY_TOO_COMPLEX, limit, max, actual, http: { status: 400 } },
  });
}

/** Check an operation against the limits; returns the refusal, or undefined when it may run. */
export function checkLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: QueryLimits,
  estimator: ComplexityEstimator,
): GraphQLError | number {
  const shape = measureOperation(operation, document);
  if (shape.depth > limits.maxDepth)
    return refuse("depth", limits.maxDepth, shape.depth, "Select fewer nested levels (e.g. fewer `parent` hops).");
  if (shape.aliases > limits.maxAliases)
    return refuse(
      "alias count",
      limits.maxAliases,
      shape.aliases,
      "Use fewer aliases, or `nodes(ids: [...])` to read many objects at once.",
    );
  if (shape.rootFields > limits.maxRootFields)
    return refuse("root field count", limits.maxRootFields, shape.rootFields, "Split the operation into several requests.");
  if (shape.expandedFields > MAX_EXPANDED_FIELDS) {
    return refuse(
      "expanded field count",
      MAX_EXPANDED_FIELDS,
      shape.expandedFields,
      "Spread fewer fragments inside fragments, or select fewer fields.",
    );
  }
  // Cost depends on variables (`first: $n`), so they are coerced here, as execution would: a value
  // that does not coerce is refused now with the error execution would give.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return coercionRefusal(coerced.errors[0]!);
  const cost = getComplexity({
    schema,
    query: document,
    variables: coerced.coerced,
    operationName: operation.name?.value,
    estimators: [estimator],
  });
  if (cost > limits.maxCost) {
    return refuse(
      "estimated cost",
      limits.maxCost,
      cost,
      "Add `first: N` to list fields (a list without `first` counts as MAX_LIST_ITEMS sessions), or select fewer fields that need their own reads (connections, parent, related resources).",
    );
  }
  return cost;
}

/** Whether an operation may run: the refusal, or null. Verdicts are cached per parsed document. */
export type LimitChecker = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
) => GraphQLError | null;

/**
 * The estimated cost of an operation that passed its verdict, read from the verdict cache (admission
 * charges it; it is never walked twice). 0 for a refused operation or one never checked.
 */
export type CostReader = (
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
) => number;

/** How a variable can change an operation's verdict: by its value, or only by its length (a list of ids). */
type Influence = "value" | "length";

/** Arguments whose variables the cost estimator reads: how many items, how many ids. */
const COUNTED_ARGS: Readonly<Record<string, Influence>> = { first: "value", ids: "length", representations: "length" };

/**
 * The variables a verdict depends on, and how. Depth, aliases and root fields never depend on
 * variables; the cost depends only on `first`, on the length of `ids` and `representations`, and on
 * directive conditions (`@include`/`@skip`, which the cost walk honours). Any other variable (an id, a
 * filter, a token) leaves the verdict as it is, so one verdict serves every request of an operation
 * that differs only there: a console reading session after session costs one cost walk, not one per id.
 * Arguments are matched by name on every field and fragment of the document, which can only add
 * variables (a superset is safe: it just keys the cache more finely).
 */
export function verdictVariables(document: DocumentNode): ReadonlyMap<string, Influence> {
  const found = new Map<string, Influence>();
  const add = (name: string, how: Influence) => {
    if (found.get(name) !== "value") found.set(name, how);
  };
  const variablesIn = (node: ValueNode, how: Influence) => {
    visit(node, { Variable: (v) => add(v.name.value, how) });
  };
  visit(document, {
    Field(field) {
      for (const arg of field.arguments ?? []) {
        const how = COUNTED_ARGS[arg.name.value];
        if (how === undefined) continue;
        // A list written out item by item has its length in the query; only a whole-list variable varies it.
        if (how === "length" && arg.value.kind !== Kind.VARIABLE) variablesIn(arg.value, "value");
        else variablesIn(arg.value, how);
      }
    },
    Directive(directive) {
      for (const arg of directive.arguments ?? []) variablesIn(arg.value, "value");
    },
  });
  return found;
}

/**
 * The verdict cache of the execution core, shared by every transport. The prepared-operation cache
 * (src/execution/prepared.ts) hands the same DocumentNode for the same query text, so the
 * verdict is kept per document and operation, and per value of the variables it depends on
 * (`verdictVariables`). Variables are still coerced on every request, so a value that does not coerce
 * is refused as before, whatever was cached.
 */
export function createLimitChecker(limits: QueryLimits, maxListItems: number): { check: LimitChecker; cost: CostReader } {
  const estimator = createCostEstimator(maxListItems);
  /** Per key: the refusal, or the estimated cost of an operation that may run. */
  const verdicts = new WeakMap<DocumentNode, { relevant: ReadonlyMap<string, Influence>; byKey: Map<string, GraphQLError | number> }>();
  const keyOf = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) => {
    let perDocument = verdicts.get(document);
    if (!perDocument) verdicts.set(document, (perDocument = { relevant: verdictVariables(document), byKey: new Map() }));
    let key = operation.name?.value ?? "";
    for (const [name, how] of perDocument.relevant) {
      const value = variables?.[name];
      // `#n` for a list's length cannot be mistaken for a JSON value (a lone number would coerce to a list of one).
      key += `\u0000${how === "length" && Array.isArray(value) ? `#${value.length}` : (JSON.stringify(value) ?? "")}`;
    }
    return { perDocument, key };
  };
  const check: LimitChecker = (schema, document, operation, variables) => {
    if (operation.variableDefinitions?.length) {
      const coerced = getVariableValues(schema, operation.variableDefinitions, variables ?? {});
      if (coerced.errors) return coercionRefusal(coerced.errors[0]!);
    }
    const { perDocument, key } = keyOf(document, operation, variables);
    let verdict = perDocument.byKey.get(key);
    if (verdict === undefined) {
      verdict = checkLimits(schema, document, operation, variables, limits, estimator);
      // Bounded: one document seen with ever-new counts must not grow without end.
      if (perDocument.byKey.size >= 64) perDocument.byKey.clear();
      perDocument.byKey.set(key, verdict);
    }
    return typeof verdict === "number" ? null : verdict;
  };
  const cost: CostReader = (document, operation, variables) => {
    const { perDocument, key } = keyOf(document, operation, variables);
    const verdict = perDocument.byKey.get(key);
    return typeof verdict === "number" ? verdict : 0;
  };
  return { check, cost };
}
