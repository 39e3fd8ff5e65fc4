/**
 * What a resolver sees of its request: the caller's credentials and the loaders bound to them. Built
 * fresh for every operation by the execution core (src/execution/context.ts), so nothing read with one
 * token can be served to another.
 */
import type { CallScope } from "../boundary/call-scope.js";
import type { BoundaryClient } from "../boundary/client.js";
import type { Loaders } from "./loaders/index.js";
import type { SessionPage } from "./types/session-page.type.js";
import type { Session } from "./types/session.type.js";

/**
 * A whole listing run page by page (src/execution/paged.ts). In the run that walks the listing, the root
 * `sessions` field hands each page's items to `pages` (and waits for what it returns before the next
 * page), waits for `settled`, and answers the listing without items (or, after `abandon`, with all of
 * them); in the run over one page, it answers `page`.
 */
export type PagedListing =
  | {
      readonly pages: (items: Session[]) => Promise<void>;
      readonly settled: () => Promise<void>;
      /** The listing could not be handed out page by page; the field answers it whole instead. */
      readonly abandon: () => void;
    }
  | { readonly page: SessionPage };

export interface GatewayContext {
  /** The Authorization value sent upstream on every call of this request (never logged). */
  readonly auth: string | undefined;
  /** The controller client, bound to this request's call scope. */
  readonly client: BoundaryClient;
  readonly loaders: Loaders;
  /** The deadline and call tally of this request's upstream calls. */
  readonly callScope?: CallScope;
  /** Most items one `sessions` field gathers when `first` is omitted. */
  readonly maxListItems: number;
  /** `auth` is the gateway's own token (BOUNDARY_TOKEN, the demo admin), not the caller's: mutations
   * refuse it (see cancelSession). */
  readonly usesFallback?: boolean;
  /** Set only while the execution core runs a whole listing page by page. */
  readonly pagedListing?: PagedListing;
}
