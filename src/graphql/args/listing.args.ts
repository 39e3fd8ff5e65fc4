/**
 * The arguments of every session listing (`Query.sessions`, `Scope.sessions`, `User.sessions`,
 * `Subscription.sessionsChanged`), declared once: their order, types, nullability and defaults. Each
 * field picks the arguments it takes by describing them, since the wording differs (a scope's own
 * listing has no `scopeId`; a subscription has `intervalMs` instead of paging).
 */
import { ArgsType, Field, ID, Int, type ClassType } from "type-graphql";

/** What a listing falls back to when an argument is omitted (also the schema's default values). */
export const LISTING_DEFAULTS = {
  scopeId: "global",
  recursive: true,
  includeTerminated: false,
} as const;

/** Every listing argument, in the schema's order. */
const LISTING_ARGS = {
  scopeId: { type: () => ID, defaultValue: LISTING_DEFAULTS.scopeId },
  recursive: { type: () => Boolean, defaultValue: LISTING_DEFAULTS.recursive },
  filter: { type: () => String, defaultValue: undefined },
  includeTerminated: { type: () => Boolean, defaultValue: LISTING_DEFAULTS.includeTerminated },
  first: { type: () => Int, defaultValue: undefined },
  after: { type: () => String, defaultValue: undefined },
  intervalMs: { type: () => Int, defaultValue: undefined },
} as const;

export type ListingArgName = keyof typeof LISTING_ARGS;

/** The values of the listing arguments, as a resolver receives them (all optional, all nullable). */
export interface ListingArgs {
  scopeId?: string | null;
  recursive?: boolean | null;
  filter?: string | null;
  includeTerminated?: boolean | null;
  first?: number | null;
  after?: string | null;
  intervalMs?: number | null;
}

/**
 * An `@ArgsType` with the arguments described in `descriptions`, in the declared order. Its fields
 * are declared with type-graphql's own `@Field` decorator, applied in that order.
 */
export function listingArgsType<N extends ListingArgName>(descriptions: Readonly<Record<N, string>>): ClassType<Pick<ListingArgs, N>> {
  @ArgsType()
  class ListingArgsType {}
  const described = descriptions as Readonly<Partial<Record<ListingArgName, string>>>;
  for (const name of Object.keys(LISTING_ARGS) as ListingArgName[]) {
    const description = described[name];
    if (description === undefined) continue;
    const { type, defaultValue } = LISTING_ARGS[name];
    Field(type, { nullable: true, description, ...(defaultValue === undefined ? {} : { defaultValue }) })(ListingArgsType.prototype, name);
  }
  return ListingArgsType as ClassType<Pick<ListingArgs, N>>;
}
