/**
 * Whole listings run page by page. An operation whose only root field is a first listing of sessions
 * (`sessions` without `first` or `after`) can gather 10,000 sessions: run as one execution, it holds
 * every mapped session, its result object and the answer's text at once, and completing the items is
 * one synchronous block of 50-70 ms on this machine that every other request waits behind
 * (docs/performance.md, overload).
 *
 * So the operation runs once to walk the listing, and once more over each page as it arrives: the run
 * that walks hands each page's items on (`PagedListing.pages`), a run over that page (its root field
 * answers the page) completes the items' selection, neighbours included, and the page's items are kept
 * only as JSON text. The walking run ends with the listing's own fields and no items, and the transport
 * writes the items' text in its place. The walk waits for each page to have run before it merges the
 * one after next, so a listing holds one or two pages of sessions at a time (plus its answer's text), and
 * no block is longer than one page's.
 *
 * The answer is the one a single execution gives, byte for byte (test/gateway/paged-listing.test.ts):
 * - an item's error keeps its place: its path is shifted by the items of the pages before it;
 * - an error that nulls the items (a non-null field of an item failed) ends the walk, and the answer is
 *   that page's run, with the errors of the pages before it;
 * - a listing that fails as a whole is answered by the walking run alone, as if nothing ran page by page;
 * - a listing whose pages would change items already run (an id listed twice) is walked again by the
 *   walking run and answered by it as one execution.
 */
import { GraphQLError, Kind, type ExecutionResult, type OperationDefinitionNode } from "graphql";
import type { GatewayContext } from "../graphql/context.js";
import { rebuildError } from "./errors.js";
import { toSessionPage } from "../graphql/mappers.js";
import type { Session } from "../graphql/types/session.type.js";

/** Where a paged listing's items are in the answer: `data[field][items]`, by response key. */
export interface PagedShape {
  readonly field: string;
  readonly items: string;
}

/** The walking run's result, whose items are empty, and the items' JSON page by page (no brackets). */
export interface PagedResult {
  readonly result: ExecutionResult;
  /** Undefined when `result` is the whole answer as it is (the listing failed, or an item nulled it). */
  readonly items: readonly string[] | undefined;
}

const shapes = new WeakMap<OperationDefinitionNode, PagedShape | null>();

/** The shape of an operation that runs page by page, or undefined (cached per parsed operation). */
export function pagedShape(operation: OperationDefinitionNode): PagedShape | undefined {
  let shape = shapes.get(operation);
  if (shape === undefined) {
    shape = findShape(operation);
    shapes.set(operation, shape);
  }
  return shape ?? undefined;
}

/**
 * Only the plain form: a query with one root field `sessions`, without `first` or `after` (a page, a
 * next page or a refresh merges or is short) and without directives, whose own selection is fields
 * with `items` once. Fragments and directives at those two levels would make where the items sit
 * depend on the variables; inside `items` anything goes.
 */
function findShape(operation: OperationDefinitionNode): PagedShape | null {
  if (operation.operation !== "query" || operation.selectionSet.selections.length !== 1) return null;
  const root = operation.selectionSet.selections[0]!;
  if (root.kind !== Kind.FIELD || root.name.value !== "sessions" || root.directives?.length || !root.selectionSet) return null;
  if (root.arguments?.some((a) => a.name.value === "first" || a.name.value === "after")) return null;
  let items: string | undefined;
  for (const selection of root.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length) return null;
    if (selection.name.value !== "items") continue;
    if (items !== undefined) return null;
    items = selection.alias?.value ?? "items";
  }
  return items === undefined ? null : { field: root.alias?.value ?? "sessions", items };
}

/** Runs the operation with a context; the execution core's own run (graphql-jit, compiled once). */
export type RunOperation = (context: GatewayContext) => Promise<ExecutionResult> | ExecutionResult;

export async function executePaged(run: RunOperation, shape: PagedShape, context: GatewayContext): Promise<PagedResult> {
  const chunks: string[] = [];
  const errors: GraphQLError[] = [];
  let handed = 0;
  let pending: Promise<void> = Promise.resolve();
  /** A page's run in which an item's error nulled the items: it is the answer. */
  let nulled: ExecutionResult | undefined;
  /** The listing was answered whole by the walking run (see `ListingNotPageable`): it is the answer. */
  let abandoned = false;

  const runPage = async (items: Session[], offset: number): Promise<void> => {
    if (nulled) return;
    const page = toSessionPage({
      items,
      listToken: undefined,
      responseType: "delta",
      removedIds: [],
      estItemCount: undefined,
      sortBy: undefined,
      sortDir: undefined,
    });
    const result = await run({ ...context, pagedListing: { page } });
    const shifted = result.errors?.map((e) => shift(e, shape, offset)) ?? [];
    const list = (result.data?.[shape.field] as Record<string, unknown> | null | undefined)?.[shape.items];
    if (!Array.isArray(list)) {
      nulled = { ...result, errors: [...errors, ...shifted] };
      return;
    }
    errors.push(...shifted);
    // One page's text: the items die here, the string lives until the answer is written.
    if (list.length > 0) chunks.push(JSON.stringify(list).slice(1, -1));
  };

  const walked = await run({
    ...context,
    pagedListing: {
      pages(items) {
        // Ends the walk: its answer is already decided.
        if (nulled) throw new Error("the listing's items were nulled by an item's error");
        const offset = handed;
        handed += items.length;
        const before = pending;
        pending = before.then(() => runPage(items, offset));
        // Awaited by `settled`, or below when the walk fails first: never an unhandled rejection.
        pending.catch(noop);
        // The walk goes on once the page before this one has run: one page runs while the next is
        // fetched, and a page whose neighbours are slow to read holds the walk rather than piling up.
        return before;
      },
      settled: () => pending,
      abandon() {
        abandoned = true;
      },
    },
  });
  // Pages still running when the walk failed finish within this request (and its call scope).
  await pending.catch(noop);
  if (abandoned) return { result: walked, items: undefined };
  if (nulled) return { result: nulled, items: undefined };
  const listing = walked.data?.[shape.field] as Record<string, unknown> | null | undefined;
  if (!listing || !Array.isArray(listing[shape.items])) return { result: walked, items: undefined };
  const all = walked.errors ? [...errors, ...walked.errors] : errors;
  return { result: all.length > 0 ? { ...walked, errors: all } : walked, items: chunks };
}

/** An item's error with its index counted from the listing's first item. */
function shift(error: GraphQLError, shape: PagedShape, offset: number): GraphQLError {
  const path = error.path;
  if (offset === 0 || !path || path.length < 3 || path[0] !== shape.field || path[1] !== shape.items || typeof path[2] !== "number")
    return error;
  return rebuildError(error, { path: [path[0], path[1], path[2] + offset, ...path.slice(3)] });
}

/**
 * The answer's JSON in pieces: `body` as `JSON.stringify` writes it, with the items' text where the
 * walking run left an empty list. The pieces are written one after another; none holds the whole body.
 */
export function pagedBody(
  body: { errors?: unknown; data?: Record<string, unknown> | null; extensions?: unknown },
  shape: PagedShape,
  items: readonly string[],
): string[] {
  const listing = body.data![shape.field] as Record<string, unknown>;
  // Replacing the key keeps its place among the listing's fields.
  const marked = { ...body, data: { ...body.data, [shape.field]: { ...listing, [shape.items]: MARK } } };
  const text = JSON.stringify(marked);
  const at = text.indexOf(MARK_JSON);
  const pieces = [`${text.slice(0, at)}[`];
  items.forEach((chunk, i) => pieces.push(i === 0 ? chunk : `,${chunk}`));
  pieces.push(`]${text.slice(at + MARK_JSON.length)}\n`);
  return pieces;
}

const noop = () => {};

/** Stands for the items while the rest is serialised; no value from the controller can equal it. */
const MARK = `\u0000paged-items-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}\u0000`;
const MARK_JSON = JSON.stringify(MARK);
