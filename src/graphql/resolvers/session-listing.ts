/**
 * One session listing as a SessionPage, shared by `Query.sessions` and the reverse edges
 * (`Scope.sessions`, `User.sessions`). Listings go through the request's `sessionList` loader, so the
 * same listing asked for on several parents (`User.sessions` on every session of that user) is walked
 * once, and its page calls count against the request's upstream concurrency cap.
 */
import { ListingNotPageable } from "../../boundary/sessions.js";
import type { GatewayContext, PagedListing } from "../context.js";
import { LISTING_DEFAULTS, type ListingArgs } from "../args/listing.args.js";
import { GatewayErrorCode, gatewayError } from "../errors.js";
import { toSessionPage } from "../mappers.js";
import type { SessionPage } from "../types/session-page.type.js";
import type { Session } from "../types/session.type.js";

export type SessionListingArgs = Omit<ListingArgs, "intervalMs">;

export async function sessionPage(args: SessionListingArgs, ctx: GatewayContext, paged?: PagedListing): Promise<SessionPage> {
  if (paged && "page" in paged) return paged.page;
  const limit = args.first ?? ctx.maxListItems;
  if (!Number.isInteger(limit) || limit < 1 || limit > ctx.maxListItems) {
    throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `first must be between 1 and ${ctx.maxListItems}.`, { field: "first" });
  }
  const key = {
    params: {
      scopeId: args.scopeId ?? LISTING_DEFAULTS.scopeId,
      recursive: args.recursive ?? LISTING_DEFAULTS.recursive,
      filter: args.filter ?? undefined,
      includeTerminated: args.includeTerminated ?? LISTING_DEFAULTS.includeTerminated,
      listToken: args.after ?? undefined,
    },
    limit,
  };
  // A listed session carries no connections; a cached read from earlier in this request may be older
  // than the listing, so `connections` reads it afresh.
  const fresh = (items: Session[]) => {
    for (const item of items) ctx.loaders.session.clear(item.id);
  };
  if (paged) {
    try {
      const listing = await ctx.loaders.walkSessionPages(key, (items) => {
        fresh(items);
        return paged.pages(items);
      });
      await paged.settled();
      return toSessionPage(listing);
    } catch (err) {
      if (!(err instanceof ListingNotPageable)) throw err;
      // A page would change items already run (an id listed twice): walked again, merged as a whole.
      paged.abandon();
    }
  }
  const listing = await ctx.loaders.sessionList.load(key);
  fresh(listing.items);
  return toSessionPage(listing);
}
