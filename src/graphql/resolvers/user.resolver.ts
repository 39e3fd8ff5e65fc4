import { Args, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { FilterSyntaxError, parseFilter } from "../../bexpr/index.js";
import { checkResourceId } from "../../boundary/client.js";
import { RESOURCES } from "../../boundary/resources.js";
import type { GatewayContext } from "../context.js";
import { GatewayErrorCode, gatewayError } from "../errors.js";
import { SessionsArgs } from "../args/sessions.args.js";
import { Scope } from "../types/scope.type.js";
import { SessionPage } from "../types/session-page.type.js";
import { User } from "../types/user.type.js";
import { owningScope } from "./owning-scope.js";
import { sessionPage } from "./session-listing.js";

const USER_ENDPOINT = RESOURCES.user.endpoint;

@Resolver(() => User)
export class UserResolver {
  // Written out rather than made by owningScopeResolver: a base class would have to declare
  // `sessions` before `scope`, which reorders schema.graphql, and direct-resolvers.ts only rewires a
  // field declared on the listed class itself.
  @FieldResolver(() => Scope, {
    description: "The scope the user lives in (from the embedded scope info; full scope fields are read once per scope per request).",
  })
  scope(@Root() user: User, @Ctx() ctx: GatewayContext): Promise<Scope> {
    return owningScope(user, USER_ENDPOINT, ctx);
  }

  @FieldResolver(() => SessionPage, {
    description:
      "The user's sessions that the caller may list: `Query.sessions` with the user's id added to the filter (`\"/item/user_id\" == …`, and `filter` if given). Same arguments, paging and refresh.",
  })
  sessions(@Root() user: User, @Args(() => SessionsArgs) args: SessionsArgs, @Ctx() ctx: GatewayContext): Promise<SessionPage> {
    // The id goes inside a quoted filter literal: only a well-formed id (letters, digits, one `_`) may.
    checkResourceId("user", user.id);
    const own = `"/item/user_id" == "${user.id}"`;
    if (!args.filter) return sessionPage({ ...args, filter: own }, ctx);
    // The caller's filter is spliced into `own and (…)`: only text that is one complete expression on
    // its own (go-bexpr's grammar, hashicorp/go-bexpr grammar/grammar.peg) stays inside the parentheses.
    // Anything else, such as `… == "x") or ("/item/id" != "x"`, could close them and escape `own`.
    checkOneExpression(args.filter);
    return sessionPage({ ...args, filter: `${own} and (${args.filter})` }, ctx);
  }
}

function checkOneExpression(filter: string): void {
  try {
    parseFilter(filter);
  } catch (err) {
    if (err instanceof FilterSyntaxError) {
      throw gatewayError(GatewayErrorCode.BAD_USER_INPUT, `filter is not a valid filter expression: ${err.message}`, { field: "filter" });
    }
    throw err;
  }
}
