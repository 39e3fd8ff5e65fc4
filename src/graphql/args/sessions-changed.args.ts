import { listingArgsType } from "./listing.args.js";

/** `Subscription.sessionsChanged`: a listing to watch, and how often to poll it. */
export const SessionsChangedArgs = listingArgsType({
  scopeId: "The scope to watch: `global`, an org (`o_…`) or a project (`p_…`). Without `recursive`, it must be a project.",
  recursive: "Watch the sessions of every project under `scopeId` the caller may list.",
  filter:
    'A Boundary list filter (go-bexpr) over each session\'s JSON, e.g. `"/item/status" == "active"`. A session that stops matching (or terminates, without `includeTerminated`) is reported in `removedIds`.',
  includeTerminated: "Also list terminated sessions. Without it, a session that terminates is reported in `removedIds`.",
  intervalMs:
    "How often to ask the controller for changes, in milliseconds. Omitted: the gateway's default (SUBSCRIPTION_DEFAULT_INTERVAL_MS, 2000); shorter than SUBSCRIPTION_MIN_INTERVAL_MS (500) is raised to it. Subscribers with the same token and arguments share one poller.",
});
export type SessionsChangedArgs = InstanceType<typeof SessionsChangedArgs>;
